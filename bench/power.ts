/**
 * The power sampler's own cost: `node dist/cli.js power --cpu-report` in a child process samples for a fixed time
 * at 1 s and at 100 ms, against fixtures (the fake nvidia-smi replaying test/fixtures/power/stream.csv and a fake
 * powercap tree) and against this machine's real sources, and reports the CPU time it used while sampling
 * (process.cpuUsage inside the child, from after start to before stop) as % of one core and CPU-seconds per minute.
 * The fake nvidia-smi's own CPU is not counted: a real nvidia-smi's cost belongs to the driver tool, not to us.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cliThroughput';
import { Table } from './format';
import { runToCompletion } from './processes';

export interface PowerBenchResult {
  table: string;
  verdicts: { met: boolean | null; text: string }[];
  notes: string[];
}

interface CostRun {
  label: string;
  intervalMs: number;
  cpuPercent: number | null;
  samples: number;
  error?: string;
}

const INTERVALS = [1000, 100] as const;

function fakePowercap(root: string): void {
  for (const [zone, name] of [
    ['intel-rapl:0', 'package-0'],
    ['intel-rapl:0:0', 'core'],
    ['intel-rapl:0:2', 'dram'],
    ['intel-rapl-mmio:0', 'package-0'],
  ] as const) {
    mkdirSync(path.join(root, zone), { recursive: true });
    writeFileSync(path.join(root, zone, 'name'), `${name}\n`);
    writeFileSync(path.join(root, zone, 'energy_uj'), '123456789\n');
    writeFileSync(path.join(root, zone, 'max_energy_range_uj'), '262143328850\n');
  }
}

async function measure(label: string, intervalMs: number, seconds: number, extraArgs: string[]): Promise<CostRun> {
  const args = [path.join(REPO_ROOT, 'dist', 'cli.js'), 'power', '--json', '--cpu-report', '--interval-ms', String(intervalMs), '--duration', String(seconds), ...extraArgs];
  const result = await runToCompletion(process.execPath, args, { cwd: REPO_ROOT });
  const line = /^cpu-report (.*)$/m.exec(result.stderr)?.[1];
  if (result.code !== 0 || !line) return { label, intervalMs, cpuPercent: null, samples: 0, error: `exit ${result.code}: ${result.stderr.trim().split('\n').pop() ?? ''}` };
  const report = JSON.parse(line) as { userUs: number; systemUs: number; wallMs: number; samples: number };
  return { label, intervalMs, cpuPercent: ((report.userUs + report.systemUs) / 1000 / report.wallMs) * 100, samples: report.samples };
}

export async function measurePowerSampler(scratch: string, seconds = Number(process.env.GREEN_AI_BENCH_POWER_SECONDS ?? 20)): Promise<PowerBenchResult> {
  const powercap = path.join(scratch, 'powercap');
  fakePowercap(powercap);
  const fakeSmi = path.join(REPO_ROOT, 'test', 'fixtures', 'power', 'fake-nvidia-smi.js');
  chmodSync(fakeSmi, 0o755);
  const runs: CostRun[] = [];
  for (const intervalMs of INTERVALS) {
    runs.push(await measure('fixtures (fake nvidia-smi + powercap)', intervalMs, seconds, ['--nvidia-smi', fakeSmi, '--nvml-library', 'none', '--powercap-root', powercap]));
    runs.push(await measure('this machine (real sources)', intervalMs, seconds, []));
  }
  const cell = (run: CostRun | undefined) =>
    !run ? '—' : run.cpuPercent === null ? `failed: ${run.error ?? ''}` : `${run.cpuPercent.toFixed(3)}% · ${((run.cpuPercent / 100) * 60).toFixed(2)} s/min (${run.samples})`;
  const table = new Table(`Power sampler CPU (${seconds} s per run)`, ['at 1 s', 'at 100 ms']);
  for (const label of [...new Set(runs.map((run) => run.label))]) {
    table.row(label, cell(runs.find((run) => run.label === label && run.intervalMs === 1000)), cell(runs.find((run) => run.label === label && run.intervalMs === 100)));
  }
  const verdicts = runs
    .filter((run) => run.intervalMs === 1000)
    .map((run) => (run.cpuPercent === null ? { met: null, text: `power sampler under 1% of a core at 1 s, ${run.label}: not measured` } : { met: run.cpuPercent < 1, text: `power sampler under 1% of a core at 1 s, ${run.label}: ${run.cpuPercent.toFixed(3)}%` }));
  return {
    table: table.render(),
    verdicts,
    notes: [
      'Power sampler: cells are % of one core while sampling · CPU-seconds per minute of sampling (samples taken); `green-ai power --json --cpu-report` with',
      '  stdout to a pipe, CPU from process.cpuUsage() in that process from after start to before stop; the fake nvidia-smi child is not counted.',
    ],
  };
}
