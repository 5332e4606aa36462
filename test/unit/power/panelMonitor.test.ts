// The monitor behind the power panel and status item, driven by a fake sampler: sampling only while held, energy
// counted across sampler restarts, sessions since the panel opened or since a followed run began, and CO2e.
import assert from 'node:assert/strict';
import { resolveLocation } from '../../../shared/src/carbon/index';
import type { ComponentReading, PowerSample, PowerSampler, PowerSamplerOptions } from '../../../shared/src/power/types';
import { PowerMonitor, type MonitorUpdate, type PowerMonitorSettings } from '../../../client/src/features/powerMonitor';

class FakeSampler implements PowerSampler {
  started = false;
  stopped = false;
  private listeners = new Set<(sample: PowerSample) => void>();
  private last: PowerSample | undefined;
  constructor(
    readonly options: PowerSamplerOptions,
    private readonly failWith?: string,
  ) {}
  async start(): Promise<void> {
    if (this.failWith) throw new Error(this.failWith);
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  onSample(listener: (sample: PowerSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  latest(): PowerSample | undefined {
    return this.last;
  }
  describeSources(): string[] {
    return ['CPU: estimated from load × TDP'];
  }
  /** Emits a sample: each component at `watts`, with its energy since this sampler started. */
  emit(timestampMs: number, components: Array<Pick<ComponentReading, 'id' | 'watts' | 'energyJ'> & Partial<ComponentReading>>): void {
    const readings: ComponentReading[] = components.map((c) => ({
      kind: c.id.startsWith('gpu') ? 'gpu' : 'cpu',
      name: c.id,
      method: c.id.startsWith('gpu') ? 'nvidia-smi' : 'estimated',
      source: c.id.startsWith('gpu') ? 'nvidia-smi power.draw.average, 1000 ms' : 'estimated from load × TDP (65 W)',
      ...c,
    }));
    this.last = {
      timestampMs,
      monotonicMs: timestampMs,
      components: readings,
      totalWatts: readings.reduce((sum, r) => sum + (r.watts ?? 0), 0),
      totalEnergyJ: readings.reduce((sum, r) => sum + r.energyJ, 0),
      coverage: 1,
    };
    for (const listener of this.listeners) listener(this.last);
  }
}

function settings(overrides: Partial<PowerMonitorSettings> = {}): PowerMonitorSettings {
  return { sampler: { intervalMs: 1000, nvidiaSmiPath: 'nvidia-smi', powercapRoot: '/sys/class/powercap' }, location: 'WORLD', carbonOverrides: {}, ...overrides };
}

function setup(options: { fail?: string; settings?: PowerMonitorSettings } = {}) {
  const samplers: FakeSampler[] = [];
  let now = 1_000_000;
  const logs: string[] = [];
  const monitor = new PowerMonitor(options.settings ?? settings(), {
    createSampler: (samplerOptions) => {
      const sampler = new FakeSampler(samplerOptions, options.fail);
      samplers.push(sampler);
      return sampler;
    },
    now: () => now,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  const updates: MonitorUpdate[] = [];
  monitor.onUpdate((update) => updates.push(update));
  return {
    monitor,
    samplers,
    updates,
    logs,
    setNow: (ms: number) => (now = ms),
    current: () => {
      const sampler = samplers[samplers.length - 1];
      assert.ok(sampler, 'no sampler was created');
      return sampler;
    },
  };
}

const gCO2ePerKWh = (location: string) => {
  const resolved = resolveLocation(location);
  assert.ok(resolved.ok);
  return resolved.value.gCO2ePerKWh;
};

describe('power monitor (panel and status item)', () => {
  it('samples only while held, and stops the sampler when the last hold goes', async () => {
    const { monitor, samplers } = setup();
    await monitor.settled();
    assert.equal(samplers.length, 0, 'nobody holds it: no sampler');
    const panel = monitor.hold();
    const status = monitor.hold();
    await monitor.settled();
    assert.equal(samplers.length, 1);
    assert.ok(samplers[0]!.started);
    panel.dispose();
    await monitor.settled();
    assert.equal(samplers[0]!.stopped, false, 'the status item still holds it');
    status.dispose();
    status.dispose(); // idempotent
    await monitor.settled();
    assert.equal(samplers[0]!.stopped, true);
    assert.equal(monitor.sampling, false);
  });

  it('stops the sampler at once when disposed, even while held', async () => {
    const { monitor, samplers } = setup();
    monitor.hold();
    await monitor.settled();
    monitor.dispose();
    assert.equal(samplers[0]!.stopped, true, 'stop() was called synchronously');
    await monitor.settled();
    assert.equal(samplers.length, 1, 'no new sampler after dispose');
  });

  it('passes the settings to the sampler and restarts it when they change', async () => {
    const { monitor, samplers } = setup();
    monitor.hold();
    await monitor.settled();
    assert.deepEqual(samplers[0]!.options, { intervalMs: 1000, nvidiaSmiPath: 'nvidia-smi', powercapRoot: '/sys/class/powercap' });
    monitor.configure(settings({ sampler: { intervalMs: 250, nvidiaSmiPath: '/opt/fake/nvidia-smi', powercapRoot: '/tmp/powercap' } }));
    await monitor.settled();
    assert.equal(samplers.length, 2);
    assert.ok(samplers[0]!.stopped);
    assert.deepEqual(samplers[1]!.options, { intervalMs: 250, nvidiaSmiPath: '/opt/fake/nvidia-smi', powercapRoot: '/tmp/powercap' });
    monitor.configure(settings({ sampler: { intervalMs: 250, nvidiaSmiPath: '/opt/fake/nvidia-smi', powercapRoot: '/tmp/powercap' }, location: 'FR' }));
    await monitor.settled();
    assert.equal(samplers.length, 2, 'a carbon-only change does not restart sampling');
  });

  it('counts session energy and CO2e from the panel opening, at the configured location', async () => {
    const { monitor, current, updates, setNow } = setup({ settings: settings({ location: 'FR' }) });
    monitor.hold();
    await monitor.settled();
    current().emit(1_000_000, [{ id: 'gpu:GPU-1', watts: 300, energyJ: 30_000 }]);
    setNow(1_000_000);
    monitor.resetSession('panel opened');
    current().emit(1_001_000, [{ id: 'gpu:GPU-1', watts: 300, energyJ: 30_300 }]);
    current().emit(1_002_000, [{ id: 'gpu:GPU-1', watts: 340, energyJ: 30_620 }]);
    const view = updates[updates.length - 1]!.view;
    assert.equal(view.session.kind, 'panel');
    assert.equal(view.session.energyJ, 620);
    assert.equal(view.components[0]!.sessionEnergyJ, 620);
    const expectedG = (620 / 3.6e6) * gCO2ePerKWh('FR');
    assert.ok(Math.abs((view.session.co2eG ?? NaN) - expectedG) < 1e-9, `${view.session.co2eG} vs ${expectedG}`);
    assert.equal(view.session.intensity?.label, 'France');
    assert.equal(view.totalWatts, 340);
    assert.deepEqual(updates[updates.length - 1]!.point, { t: 1_002_000, watts: { 'gpu:GPU-1': 340 } });
  });

  it('applies greenAI.carbon.overrides to the grid intensity', async () => {
    const { monitor, current, updates } = setup({ settings: settings({ location: 'FR', carbonOverrides: { countries: { FR: 100 } } }) });
    monitor.hold();
    await monitor.settled();
    current().emit(1_000_000, [{ id: 'cpu:estimated', watts: 50, energyJ: 0 }]);
    current().emit(1_001_000, [{ id: 'cpu:estimated', watts: 50, energyJ: 3.6e6 }]);
    assert.equal(updates[1]!.view.session.intensity?.gCO2ePerKWh, 100);
    assert.ok(Math.abs((updates[1]!.view.session.co2eG ?? NaN) - 100) < 1e-9, 'one kWh at 100 g/kWh');
  });

  it('keeps counting across sampler restarts, whose counters start again from zero', async () => {
    const { monitor, current, updates } = setup();
    const hold = monitor.hold();
    await monitor.settled();
    current().emit(1_000_000, [{ id: 'cpu:estimated', watts: 50, energyJ: 50 }]); // the session starts here
    current().emit(1_001_000, [{ id: 'cpu:estimated', watts: 50, energyJ: 100 }]);
    monitor.configure(settings({ sampler: { intervalMs: 500, nvidiaSmiPath: 'nvidia-smi', powercapRoot: '/sys/class/powercap' } }));
    await monitor.settled();
    current().emit(1_005_000, [{ id: 'cpu:estimated', watts: 50, energyJ: 25 }]);
    assert.equal(updates[updates.length - 1]!.view.session.energyJ, 75, '50 J from the first sampler, 25 J from the second');
    hold.dispose();
  });

  it('follows a run from its start, using the energy counted up to then, and shows it until the run ends', async () => {
    const { monitor, current, updates, setNow, samplers } = setup();
    const status = monitor.hold();
    await monitor.settled();
    for (let i = 0; i <= 10; i++) current().emit(1_000_000 + i * 1000, [{ id: 'gpu:GPU-1', watts: 200, energyJ: 200 * i }]);
    setNow(1_010_500);
    monitor.followRun('train.py', 1_004_000); // the run began 6.5 s ago
    const afterFollow = updates[updates.length - 1]!.view.session;
    assert.equal(afterFollow.kind, 'run');
    assert.equal(afterFollow.label, 'train.py');
    assert.equal(afterFollow.energyJ, 1200, 'energy since the sample at the run start (800 J) up to now (2000 J)');
    assert.equal(monitor.runEnergy()?.label, 'train.py');
    assert.ok(Math.abs(monitor.runEnergy()!.kWh - 1200 / 3.6e6) < 1e-12);

    monitor.resetSession('reset');
    assert.equal(monitor.latest()?.session.kind, 'run', 'the panel reset does not drop a followed run');

    status.dispose();
    await monitor.settled();
    assert.equal(samplers[0]!.stopped, false, 'a followed run keeps sampling on');
    monitor.endRun();
    await monitor.settled();
    assert.equal(samplers[0]!.stopped, true);
    assert.equal(monitor.runEnergy(), undefined);
  });

  it('says from when it measured when a run began before the oldest sample', async () => {
    const { monitor, current } = setup();
    monitor.hold();
    await monitor.settled();
    current().emit(2_000_000, [{ id: 'gpu:GPU-1', watts: 100, energyJ: 100 }]);
    current().emit(2_001_000, [{ id: 'gpu:GPU-1', watts: 100, energyJ: 200 }]);
    monitor.followRun('train.py', 1_000_000);
    const session = monitor.latest()!.session;
    assert.equal(session.startMs, 1_000_000);
    assert.equal(session.measuredFromMs, 2_000_000);
    assert.equal(session.energyJ, 100);
  });

  it('reports a sampler that fails to start instead of showing numbers', async () => {
    const { monitor, logs } = setup({ fail: 'nvidia-smi exited with 9' });
    const statuses: Array<string | null> = [];
    monitor.onStatus((message) => statuses.push(message));
    monitor.hold();
    await monitor.settled();
    assert.deepEqual(statuses, ['Power sampling did not start: nvidia-smi exited with 9']);
    assert.equal(monitor.snapshot().status, 'Power sampling did not start: nvidia-smi exited with 9');
    assert.ok(logs.some((line) => line.startsWith('error:') && line.includes('nvidia-smi exited with 9')));
    assert.equal(monitor.sampling, false);
  });

  it('names the location setting when it does not resolve, and gives no CO2e', async () => {
    const { monitor, current, updates } = setup({ settings: settings({ location: 'Atlantis' }) });
    monitor.hold();
    await monitor.settled();
    current().emit(1_000_000, [{ id: 'cpu:estimated', watts: 50, energyJ: 100 }]);
    const session = updates[0]!.view.session;
    assert.equal(session.co2eG, null);
    assert.equal(session.co2eText, null);
    assert.match(session.carbonNote ?? '', /greenAI\.location "Atlantis"/);
  });

  it('shows the notes it is given (why a setting is not applied) in the view', async () => {
    const { monitor, current, updates } = setup({ settings: settings({ notes: ['Restricted Mode: greenAI.power.nvidiaSmiPath comes from user settings only'] }) });
    monitor.hold();
    await monitor.settled();
    current().emit(1_000_000, [{ id: 'cpu:estimated', watts: 50, energyJ: 100 }]);
    assert.deepEqual(updates[0]!.view.notes, ['Restricted Mode: greenAI.power.nvidiaSmiPath comes from user settings only']);
    assert.deepEqual(updates[0]!.view.sources, ['CPU: estimated from load × TDP']);
  });

  it('keeps a history for the chart that a re-shown panel gets in its snapshot', async () => {
    const { monitor, current } = setup();
    monitor.hold();
    await monitor.settled();
    current().emit(1_000_000, [{ id: 'gpu:GPU-1', watts: 300, energyJ: 0 }]);
    current().emit(1_001_000, [{ id: 'gpu:GPU-1', watts: null, energyJ: 300 }]);
    const snapshot = monitor.snapshot();
    assert.deepEqual(snapshot.history, [
      { t: 1_000_000, watts: { 'gpu:GPU-1': 300 } },
      { t: 1_001_000, watts: { 'gpu:GPU-1': null } },
    ]);
    assert.deepEqual(snapshot.series, [{ id: 'gpu:GPU-1', name: 'gpu:GPU-1', kind: 'gpu' }]);
    // 11 minutes later the old points have left the 10-minute window.
    current().emit(1_001_000 + 11 * 60_000, [{ id: 'gpu:GPU-1', watts: 250, energyJ: 400 }]);
    assert.deepEqual(monitor.snapshot().history.map((p) => p.t), [1_001_000 + 11 * 60_000]);
  });
});
