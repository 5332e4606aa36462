import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTables } from '../../../shared/src/carbon/index';
import { computeRunRecord, finalizeRunDir, loadRunDir, parseSamples, type RunEnd } from '../../../shared/src/runs/finalize';
import { listRuns, readRun, readRuns } from '../../../shared/src/runs/index';
import { RUN_FILES, RunRecordSchema, type RunRecord } from '../../../shared/src/runs/schema';
import { GPU_ID, GPU_UUID, T0, header, sample, standardSamples } from './synthetic';

const END: RunEnd = { endedAt: new Date(T0 + 3500).toISOString(), exitCode: 0, status: 'completed' };

function compute(...args: Parameters<typeof computeRunRecord>): RunRecord {
  const result = computeRunRecord(...args);
  assert.ok(result.ok, result.ok ? '' : result.problem);
  return result.record;
}

const component = (record: RunRecord, id: string) => record.components.find((c) => c.id === id)!;
const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

describe('runs: computeRunRecord', () => {
  it('integrates counter differences inside [launch, end] only, and measures the idle baseline', () => {
    const record = compute(header(), standardSamples(), END);
    close(component(record, GPU_ID).energyJ, 750, 'GPU energy');
    close(component(record, 'cpu:package-0').energyJ, 125, 'CPU energy');
    close(record.energy.energyJ, 875, 'total');
    close(record.energy.energyKWh, 875 / 3.6e6, 'kWh');
    close(record.durationS, 2.5, 'duration');
    close(component(record, GPU_ID).averageW!, 300, 'GPU average');
    assert.equal(component(record, GPU_ID).peakW, 300);
    assert.equal(component(record, GPU_ID).coverage, 1);
    assert.equal(component(record, GPU_ID).attribution, 'whole-device');
    // Idle: 100 + 10 W; over 2.5 s that is 275 J drawn anyway, 600 J above idle.
    close(record.baseline!.idleW, 110, 'idle W');
    close(record.baseline!.idleEnergyJ, 275, 'idle energy');
    close(record.baseline!.aboveIdleEnergyJ, 600, 'above idle');
    assert.equal(record.status, 'completed');
    assert.equal(record.exitCode, 0);
    assert.equal(record.startedAt, new Date(T0 + 1000).toISOString());
    assert.ok(RunRecordSchema.safeParse(record).success);
  });

  it('computes CO2e and water from the location row and the PUE the tables give a data-centre GPU', () => {
    const tables = loadTables();
    assert.ok(tables.ok);
    const france = tables.value.countries.rows.find((row) => row.code === 'FR')!;
    const pueRow = tables.value.defaults.rows.find((row) => row.key === 'pueDatacenter')!;
    const record = compute(header(), standardSamples(), END);
    assert.equal(record.intensity.gCO2ePerKWh, france.gCO2ePerKWh);
    assert.equal(record.intensity.source.year, france.year);
    assert.equal(record.pue.value, pueRow.value, 'an H100 is data-centre class');
    close(record.facilityEnergyKWh, (875 / 3.6e6) * pueRow.value, 'facility energy');
    close(record.co2eKg, ((875 / 3.6e6) * pueRow.value * france.gCO2ePerKWh) / 1000, 'CO2e');
    close(record.water.liters, (875 / 3.6e6) * record.water.wueLPerKWh + record.facilityEnergyKWh * record.water.ewifLPerKWh, 'water');
  });

  it("adds the accelerators' embodied CO2e for the wall time by the carbon model's tables, beside the operational figure", () => {
    const tables = loadTables();
    assert.ok(tables.ok);
    const value = (key: string) => tables.value.defaults.rows.find((row) => row.key === key)!.value;
    const a100 = tables.value.gpus.rows.find((row) => row.id === 'a100-sxm4-80gb')!;
    const gpu = (index: number) => ({ id: `gpu:${index}`, name: 'NVIDIA A100-SXM4-80GB', uuid: `GPU-${index}`, powerLimitW: 400 });
    const twoA100 = header({ hardware: { gpus: [gpu(0), gpu(1)], cpuModel: 'AMD EPYC 7763', cpuCount: 128, ramTotalGB: 512 } });
    const record = compute(twoA100, standardSamples(), END);
    const embodied = record.embodied;
    assert.ok(embodied && embodied.co2eKg !== null, JSON.stringify(embodied));
    // (device 150 kg + server 2,500 kg / 8) × 2 devices × 2.5 s / (6 years × 8,760 h × 0.85 in use).
    const perDevice = a100.embodiedKgCO2e!.value + value('serverEmbodiedKgCO2e') / value('gpusPerServer');
    close(embodied.co2eKg, (perDevice * 2 * (2.5 / 3600)) / (value('embodiedLifespanYears') * 8760 * value('embodiedFleetUtilisation')), 'embodied');
    assert.match(embodied.basis, /^2× A100 SXM4 for 0\.000694 h: /);
    assert.ok(embodied.sources.some((s) => s.what === 'Hardware lifespan (6 years)' && s.source.year === 2023), JSON.stringify(embodied.sources));
    // Operational CO2e is unchanged by it (the figure CodeCarbon-compatible outputs carry).
    close(record.co2eKg, (record.facilityEnergyKWh * record.intensity.gCO2ePerKWh) / 1000, 'operational');
    assert.ok(RunRecordSchema.safeParse(record).success);

    const cpuOnly = compute(header({ hardware: { gpus: [], cpuModel: 'x', cpuCount: 8, ramTotalGB: 16 } }), standardSamples(), END);
    assert.deepEqual(cpuOnly.embodied, { co2eKg: null, reason: 'no accelerator: the tables give embodied carbon per accelerator (and its server share), not for a CPU-only machine' });
    const unknown = compute(header({ hardware: { gpus: [{ ...gpu(0), name: 'Mystery Accelerator 9' }], cpuModel: 'x', cpuCount: 8, ramTotalGB: 16 } }), standardSamples(), END);
    assert.equal(unknown.embodied?.co2eKg, null);
    assert.match(unknown.embodied && unknown.embodied.co2eKg === null ? unknown.embodied.reason : '', /^Mystery Accelerator 9 is not in the GPU table/);
  });

  it('uses PUE 1 without a data-centre GPU, the provider PUE in a cloud region, and --pue when given', () => {
    const noGpu = compute(header({ hardware: { gpus: [], cpuModel: 'x', cpuCount: 8, ramTotalGB: 16 } }), standardSamples(), END);
    assert.equal(noGpu.pue.value, 1);
    const cloud = compute(header({ location: 'gcp:europe-west1' }), standardSamples(), END);
    assert.equal(cloud.location.kind, 'cloud-region');
    assert.match(cloud.pue.source.title, /google|gcp/i);
    const given = compute(header({ pue: 1.2 }), standardSamples(), END);
    assert.equal(given.pue.value, 1.2);
    assert.equal(given.pue.source.title, 'given with --pue');
  });

  it("attributes a shared GPU by the job's share of used memory, carrying the share to samples the query had not answered", () => {
    const shares = (index: number) => (index === 0 ? {} : { gpuShares: { [GPU_UUID]: { jobMiB: 1000, allMiB: 4000, foreign: true } } });
    const record = compute(header(), standardSamples(shares), END);
    const gpu = component(record, GPU_ID);
    assert.equal(gpu.attribution, 'process-tree');
    close(gpu.deviceEnergyJ, 750, 'device energy');
    close(gpu.energyJ, 750 * 0.25, 'attributed energy');
    close(gpu.peakW!, 75, 'attributed peak');
    assert.ok(gpu.warnings.some((w) => /shared GPU/.test(w)));
    // The CPU is not attributed.
    close(component(record, 'cpu:package-0').energyJ, 125, 'CPU energy');
  });

  it('says "whole device" with the reason when the share could not be measured', () => {
    const record = compute(header(), standardSamples(() => ({ gpuShareProblem: 'nvidia-smi --query-compute-apps failed: boom' })), END);
    const gpu = component(record, GPU_ID);
    assert.equal(gpu.attribution, 'whole-device');
    assert.ok(gpu.warnings.some((w) => w.includes('whole device') && w.includes('boom')), gpu.warnings.join('; '));
  });

  it('finalises without an end as "incomplete", up to the last sample', () => {
    const record = compute(header(), standardSamples(), undefined);
    assert.equal(record.status, 'incomplete');
    assert.equal(record.exitCode, null);
    assert.equal(record.endedAt, new Date(T0 + 4000).toISOString());
    close(component(record, GPU_ID).energyJ, 900, 'GPU energy to the last sample');
    assert.ok(record.warnings.some((w) => /did not see the job end/.test(w)));
  });

  it('does not bridge gaps longer than three periods: coverage drops', () => {
    const samples = [sample('baseline', 1000, [0, 100], [0, 10]), sample('run', 2000, [300, 300], [50, 50]), sample('run', 7000, [1800, 300], [300, 50]), sample('run', 8000, [2100, 300], [350, 50])];
    const record = compute(header({ baselineS: 0 }), samples, { ...END, endedAt: new Date(T0 + 8000).toISOString() });
    // 7 s window, 2 s covered (the 5 s gap is not).
    close(component(record, GPU_ID).coverage, 2 / 7, 'coverage');
    assert.equal(record.baseline, null);
    assert.equal(component(record, GPU_ID).idleW, null);
  });

  it('compares with the pre-run estimate on facility energy', () => {
    const record = compute(header({ estimateKWh: 0.0001, estimateSource: 'green-ai estimate train.py', pue: 1 }), standardSamples(), END);
    close(record.estimate!.differencePercent!, ((875 / 3.6e6 - 0.0001) / 0.0001) * 100, 'difference');
    assert.equal(record.estimate!.source, 'green-ai estimate train.py');
  });

  it('refuses an unknown location with a message naming it', () => {
    const result = computeRunRecord(header({ location: 'Atlantis' }), standardSamples(), END);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.problem, /location "Atlantis"/);
  });
});

describe('runs: samples.jsonl and run folders', () => {
  it('drops a torn last line with a warning and reports a bad middle line by number', () => {
    const good = JSON.stringify(sample('run', 2000, [1, 1], [1, 1]));
    const { samples, warnings } = parseSamples(`${good}\n{"phase": 3}\n${good}\n{"phase":"run","timest`);
    assert.equal(samples.length, 2);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /line 2: .*phase/);
    assert.match(warnings[1]!, /line 4 is cut short/);
  });

  function runDir(root: string, name: string, lines: string[], withHeader = true): string {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    if (withHeader) writeFileSync(path.join(dir, RUN_FILES.partial), JSON.stringify(header({ id: name, runnerPid: 999_999_999 })));
    writeFileSync(path.join(dir, RUN_FILES.samples), lines.join('\n'));
    return dir;
  }

  it('reads an unfinished run as incomplete in memory, and --finalize writes run.json once', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'green-ai-runs-'));
    const dir = runDir(root, '20260102T030000Z-a', standardSamples().map((s) => JSON.stringify(s)));
    const read = await readRun(dir);
    assert.ok(read.ok);
    assert.equal(read.finalized, false);
    assert.equal(read.running, false);
    assert.equal(read.record.status, 'incomplete');
    const finalized = await finalizeRunDir(dir);
    assert.ok(finalized.ok && finalized.finalized);
    const written = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(dir, RUN_FILES.record), 'utf8')));
    assert.equal(written.status, 'incomplete');
    assert.equal(written.finalizedBy, 'finalize');
    close(written.energy.energyJ, read.record.energy.energyJ, 'same energy as in memory');
    const again = await loadRunDir(dir);
    assert.ok(again.ok && again.finalized);
  });

  it('lists runs newest first and reports unreadable folders with the file and key', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'green-ai-runs-'));
    runDir(root, '20260102T030000Z-a', standardSamples().map((s) => JSON.stringify(s)));
    runDir(root, '20260103T030000Z-b', standardSamples().map((s) => JSON.stringify(s)));
    const bad = path.join(root, '20260104T030000Z-bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, RUN_FILES.record), JSON.stringify({ schemaVersion: 1, id: 'x' }));
    mkdirSync(path.join(root, 'not-a-run'));
    const summaries = await listRuns(root);
    assert.deepEqual(
      summaries.map((s) => [s.id, s.status]),
      [
        ['20260104T030000Z-bad', 'unreadable'],
        ['20260103T030000Z-b', 'incomplete'],
        ['20260102T030000Z-a', 'incomplete'],
      ],
    );
    assert.match(summaries[0]!.problem!, /run\.json: command: /);
    const { runs, problems } = await readRuns(root);
    assert.equal(runs.length, 2);
    assert.equal(problems.length, 1);
    assert.deepEqual(await listRuns(path.join(root, 'missing')), []);
  });

  it('names the header file and key when run.partial.json is invalid', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'green-ai-runs-'));
    const dir = path.join(root, 'r');
    mkdirSync(dir);
    writeFileSync(path.join(dir, RUN_FILES.partial), JSON.stringify({ ...header(), intervalMs: 'fast' }));
    const read = await readRun(dir);
    assert.equal(read.ok, false);
    assert.match(read.ok ? '' : read.problem, /run\.partial\.json: intervalMs: /);
  });
});
