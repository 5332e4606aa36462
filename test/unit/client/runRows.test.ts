import assert from 'node:assert/strict';
import { RunRecordSchema, type RunRecord, type RunSummary } from '../../../shared/src/runs/schema';
import {
  calibrationTitle,
  compareMarkdown,
  distinctNames,
  energyChartSvg,
  formatDuration,
  latestRunOf,
  measurementKind,
  ranScript,
  runRow,
} from '../../../client/src/features/runRows';

const source = { title: 'test table', url: 'https://example.org', year: 2024 };

/** A complete run.json as the recorder writes it; parsed with the real schema so that a schema change fails here. */
function record(overrides: Partial<RunRecord> = {}): RunRecord {
  return RunRecordSchema.parse({
    schemaVersion: 1,
    id: '20261126-014502-train',
    label: 'train-20261126-014502',
    command: ['python3', 'train.py', '--epochs', '1'],
    cwd: '/ws',
    startedAt: '2026-11-26T01:45:02.000Z',
    endedAt: '2026-11-26T01:47:05.000Z',
    durationS: 123,
    exitCode: 0,
    status: 'completed',
    host: { hostname: 'h', platform: 'linux', arch: 'x64', osRelease: '6', nodeVersion: 'v20', greenAiVersion: '0.1.0' },
    hardware: { gpus: [{ id: 'gpu:GPU-1', name: 'NVIDIA H100' }], cpuModel: 'cpu', cpuCount: 16, ramTotalGB: 128 },
    intervalMs: 500,
    sources: ['nvml'],
    components: [
      { id: 'gpu:GPU-1', kind: 'gpu', name: 'NVIDIA H100 (GPU 0)', method: 'nvml-energy-counter', source: 'NVML energy counter', energyJ: 9e6, deviceEnergyJ: 9e6, averageW: 300, peakW: 350, samples: 240, coverage: 1, attribution: 'whole-device', idleW: 60, warnings: [] },
      { id: 'cpu:estimated', kind: 'cpu', name: 'CPU (estimated)', method: 'estimated', source: 'load × TDP', energyJ: 1.8e6, deviceEnergyJ: 1.8e6, averageW: 60, peakW: 80, samples: 240, coverage: 1, attribution: 'whole-device', idleW: null, warnings: [] },
    ],
    energy: { energyJ: 10.8e6, energyKWh: 3, averageW: 360, peakW: 430, samples: 240, coverage: 1 },
    baseline: null,
    location: { query: 'DE', key: 'DE', label: 'Germany', kind: 'country' },
    intensity: { gCO2ePerKWh: 380, source },
    pue: { value: 1.1, source },
    facilityEnergyKWh: 3.3,
    co2eKg: 1.254,
    water: { liters: 5, wueLPerKWh: 0.5, ewifLPerKWh: 1, sources: [source] },
    estimate: { energyKWh: 2.6, source: 'green-ai estimate train.py', differencePercent: 26.9 },
    warnings: [],
    finalizedAt: '2026-11-26T01:47:05.100Z',
    finalizedBy: 'recorder',
    ...overrides,
  });
}

function summaryOf(run: RunRecord, dir = '/ws/.green-ai/runs/x'): RunSummary {
  return { dir, id: run.id, label: run.label, command: run.command, startedAt: run.startedAt, durationS: run.durationS, status: run.status, exitCode: run.exitCode, energyKWh: run.energy.energyKWh, co2eKg: run.co2eKg, finalized: true };
}

describe('client: how runs read in the editor', () => {
  it('tells measured, estimated and mixed readings apart', () => {
    const run = record();
    assert.equal(measurementKind(run), 'partly measured');
    assert.equal(measurementKind({ components: run.components.slice(0, 1) }), 'measured');
    assert.equal(measurementKind({ components: run.components.slice(1) }), 'estimated');
    assert.equal(measurementKind({ components: [] }), 'no readings');
  });

  it('formats durations', () => {
    assert.equal(formatDuration(42.4), '42 s');
    assert.equal(formatDuration(185), '3 min 05 s');
    assert.equal(formatDuration(3720), '1 h 02 min');
  });

  it('shows label, when, duration, kWh, kg CO2e and the kind of reading in a Runs view row', () => {
    const run = record();
    const row = runRow(summaryOf(run), run, new Date('2026-11-26T01:50:02.000Z'));
    assert.equal(row.label, 'train-20261126-014502');
    assert.equal(row.description, '5 min ago · 2 min 03 s · 3 kWh · 1.3 kg CO2e · partly measured');
    assert.equal(row.icon, 'pass');
    assert.match(row.tooltip, /\$ python3 train\.py --epochs 1/);
    assert.match(row.tooltip, /3\.3 kWh with PUE 1\.1/);
  });

  it('says when a run failed or cannot be read', () => {
    const run = record({ status: 'failed', exitCode: 2 });
    const row = runRow(summaryOf(run), run, new Date('2026-11-27T01:50:02.000Z'));
    assert.match(row.description, /^1 day ago · .* · failed \(exit 2\)$/);
    assert.equal(row.icon, 'error');
    const unreadable = runRow({ dir: '/r/bad', id: 'bad', command: [], status: 'unreadable', finalized: false, problem: 'run.json: durationS: expected number' }, undefined, new Date());
    assert.deepEqual([unreadable.description, unreadable.tooltip, unreadable.icon], ['unreadable', 'run.json: durationS: expected number', 'warning']);
  });

  it('finds the latest run of a script by resolving its command against the run\'s cwd', () => {
    const older = record({ id: 'a', startedAt: '2026-11-25T10:00:00.000Z' });
    const newer = record({ id: 'b', startedAt: '2026-11-26T10:00:00.000Z' });
    const other = record({ id: 'c', startedAt: '2026-11-27T10:00:00.000Z', command: ['python3', 'eval.py'] });
    const elsewhere = record({ id: 'd', startedAt: '2026-11-28T10:00:00.000Z', cwd: '/other' });
    assert.equal(latestRunOf([older, other, newer, elsewhere], '/ws/train.py')?.id, 'b');
    assert.equal(ranScript(record({ command: ['/venv/bin/python', '/ws/train.py'] }), '/ws/train.py'), true);
    assert.equal(latestRunOf([other], '/ws/train.py'), undefined);
  });

  it('titles the calibration lens with the measured facility energy and the estimate', () => {
    assert.equal(calibrationTitle(record()), 'measured 3.3 kWh last run (estimate was 2.6 kWh)');
    assert.equal(calibrationTitle(record({ estimate: undefined })), 'measured 3.3 kWh last run');
    assert.equal(calibrationTitle(record({ status: 'failed', exitCode: 1, facilityEnergyKWh: 0.0042, estimate: undefined })), 'measured 4.2 Wh last run (failed, exit 1)');
    const modelled = record({ components: record().components.slice(1) });
    assert.equal(calibrationTitle(modelled), 'last run 3.3 kWh (modelled: no power meter) (estimate was 2.6 kWh)');
  });

  it('compares two runs side by side with the change', () => {
    const a = record({ label: 'fp32' });
    const b = record({ label: 'bf16', durationS: 61.5, energy: { ...a.energy, energyKWh: 1.5 }, facilityEnergyKWh: 1.65, co2eKg: 0.627 });
    const markdown = compareMarkdown(a, b);
    assert.match(markdown, /^# Green AI: fp32 vs bf16/);
    assert.match(markdown, /\| energy \(IT\) \| 3 kWh \| 1\.5 kWh \| −50% \|/);
    assert.match(markdown, /\| duration \| 2 min 03 s \| 1 min 02 s \| −50% \|/);
    // Embodied CO2e: the figure, "none in the tables" (CPU-only), or "not computed" for a record older than the field.
    const withEmbodied = (co2eKg: number) => ({ co2eKg, basis: '1× A100 SXM4 for 1 h: …', warnings: [], sources: [] });
    assert.match(compareMarkdown(record({ embodied: withEmbodied(0.01) }), record({ embodied: withEmbodied(0.005) })), /\| embodied CO2e \(GPUs\) \| 10 g \| 5 g \| −50% \|/);
    assert.match(compareMarkdown(record({ embodied: { co2eKg: null, reason: 'no accelerator' } }), a), /\| embodied CO2e \(GPUs\) \| none in the tables \| not computed \|  \|/);
  });

  it('tells two runs with the same label apart by their ids', () => {
    const a = record({ id: '20261126T010000Z-train' });
    const b = record({ id: '20261126T020000Z-train' });
    assert.deepEqual(distinctNames(a, b), ['20261126T010000Z-train', '20261126T020000Z-train']);
    assert.match(compareMarkdown(a, b), /^# Green AI: 20261126T010000Z-train vs 20261126T020000Z-train\n\n\| \| 20261126T010000Z-train \| 20261126T020000Z-train \| change \|/);
    assert.deepEqual(distinctNames(record({ label: 'fp32' }), record({ label: 'bf16' })), ['fp32', 'bf16']);
  });

  it('draws one bar per run, scaled to the largest, with escaped labels', () => {
    const svg = energyChartSvg([{ label: 'a<b>', energyKWh: 1 }, { label: 'b', energyKWh: 2, current: true }]);
    const widths = [...svg.matchAll(/<rect class="([^"]+)"[^>]* width="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(widths, [['bar', 180], ['bar current', 360]]);
    assert.match(svg, /a&lt;b&gt;/);
    assert.doesNotMatch(svg, /<script/);
  });
});
