import { strict as assert } from 'node:assert';
import path from 'node:path';
import { carbonSoFar, createPowerSampler, type PowerSample, type PowerSampler } from '../../../shared/src/power/index';
import { cpuLoad, cpuPowerModel } from '../../../shared/src/power/cpuEstimate';
import { loadPowerEstimates, parsePowerEstimates } from '../../../shared/src/power/tables';
import { fakeNvidiaSmi, tempDir, waitFor, writePowercap } from './helpers';

const times = (busy: number, idle: number) => ({ user: busy, nice: 0, sys: 0, idle, irq: 0 });

describe('power/sampler', () => {
  let work: ReturnType<typeof tempDir>;
  let sampler: PowerSampler | undefined;
  beforeEach(() => {
    work = tempDir('green-ai-sampler-');
  });
  afterEach(async () => {
    await sampler?.stop();
    sampler = undefined;
    work.remove();
  });

  it('validates the estimate table and names the wrong key', () => {
    assert.ok(loadPowerEstimates().ok);
    const broken = parsePowerEstimates({ table: 'power-estimates', description: '', rows: [{ key: 'ramWattsPerGB', value: -1, unit: 'W', source: { title: 't', url: 'https://example.org' }, year: 2021 }] });
    assert.equal(broken.ok, false);
    assert.match(broken.ok ? '' : broken.message, /rows\.0\.value/);
  });

  it('measures CPU load from os.cpus() time deltas and scales a known TDP to the visible threads', () => {
    assert.equal(cpuLoad([{ model: 'x', times: times(100, 100) }], [{ model: 'x', times: times(175, 125) }]), 0.75);
    const table = loadPowerEstimates();
    assert.ok(table.ok);
    const epyc = cpuPowerModel('AMD EPYC 7742 64-Core Processor', 32, table.value);
    assert.equal(epyc.fullLoadW, (225 * 32) / 128);
    const unknown = cpuPowerModel('Mystery CPU 9000', 4, table.value);
    assert.equal(unknown.fullLoadW, 4 * table.value.cpuWattsPerThread.value);
    assert.match(unknown.basis, /not in cpus\.json/);
  });

  it('samples GPUs from nvidia-smi, CPU from RAPL and estimates RAM, summing them per sample', async () => {
    writePowercap(work.dir, { 'intel-rapl:0': { name: 'package-0', energyUj: 0, maxRangeUj: 1e12 } });
    sampler = createPowerSampler({
      intervalMs: 50,
      nvmlLibraryPath: null,
      nvidiaSmiPath: fakeNvidiaSmi(),
      powercapRoot: work.dir,
      drmRoot: null,
      env: { ...process.env, FAKE_NVSMI_LOG: path.join(work.dir, 'log') },
      totalMemoryBytes: 64 * 1024 ** 3,
    });
    const samples: PowerSample[] = [];
    sampler.onSample((sample) => samples.push(sample));
    await sampler.start();
    const sample = await waitFor('a sample with both GPUs powered', () => samples.find((s) => s.components.filter((c) => c.kind === 'gpu' && c.watts !== null).length === 2));
    const kinds = sample.components.map((component) => `${component.kind}:${component.method}`);
    assert.deepEqual(kinds.sort(), ['cpu:rapl', 'gpu:nvidia-smi', 'gpu:nvidia-smi', 'ram:estimated']);
    const ram = sample.components.find((component) => component.kind === 'ram');
    assert.ok(Math.abs((ram?.watts ?? 0) - 64 * 0.3725) < 1e-9);
    assert.equal(sample.totalWatts, sample.components.reduce((sum, component) => sum + (component.watts ?? 0), 0));
    assert.equal(sampler.latest()?.monotonicMs !== undefined, true);
    assert.ok(sampler.describeSources().some((line) => line.includes('nvidia-smi power.draw.average')));
  });

  it('falls back to the load estimate with the one-line fix when energy_uj is unreadable', async () => {
    writePowercap(work.dir, { 'intel-rapl:0': { name: 'package-0', unreadable: true, maxRangeUj: 1e12 } });
    let tick = 0;
    sampler = createPowerSampler({
      intervalMs: 50,
      nvmlLibraryPath: null,
      nvidiaSmiPath: path.join(work.dir, 'absent-nvidia-smi'),
      powercapRoot: work.dir,
      drmRoot: null,
      totalMemoryBytes: 8e9,
      // Each snapshot adds 50 busy and 50 idle units per thread: a steady 50% load.
      cpuInfo: () => {
        tick++;
        return [0, 1].map(() => ({ model: 'Mystery CPU 9000', times: times(50 * tick, 50 * tick) }));
      },
    });
    const samples: PowerSample[] = [];
    const unsubscribe = sampler.onSample((sample) => samples.push(sample));
    await sampler.start();
    const sample = await waitFor('two samples', () => samples[1]);
    const cpu = sample.components.find((component) => component.kind === 'cpu');
    assert.equal(cpu?.method, 'estimated');
    assert.equal(cpu?.watts, 0.5 * 2 * 3.75);
    assert.equal(cpu?.utilizationPercent, 50);
    // The source names the method; the load of one sample is utilizationPercent (a run's report keeps one source per component).
    assert.equal(cpu?.source, 'estimated from load × 2 threads × 3.75 W (CPU "Mystery CPU 9000" not in cpus.json)');
    assert.ok(cpu?.warnings?.some((warning) => warning.includes('sudo chmod a+r')));
    assert.ok(sampler.describeSources().some((line) => line.startsWith('skipped: nvidia-smi')));
    assert.equal(sample.components.some((component) => component.kind === 'gpu'), false);
    unsubscribe();
    const count = samples.length;
    await sampler.stop();
    assert.equal(samples.length, count);
  });

  it('turns joules into grams CO2e with the location grid intensity', () => {
    const world = carbonSoFar(3.6e6);
    assert.ok(world.ok);
    assert.equal(world.locationKey, 'WORLD');
    assert.equal(world.gramsCO2e, world.gCO2ePerKWh);
    const france = carbonSoFar(3.6e6, 'FR');
    assert.ok(france.ok && france.gramsCO2e < world.gramsCO2e);
    assert.equal(carbonSoFar(1, 'Atlantis').ok, false);
  });
});
