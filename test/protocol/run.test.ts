/**
 * `green-ai run` and `green-ai report` as a user runs them (node dist/cli.js, real child processes): a CPU-burning
 * job profiled against a fake nvidia-smi (test/fixtures/runs: a constant 250 W GPU) and a fake powercap tree whose counters this test
 * advances at 20 W (CPU) and 5 W (DRAM), so that every energy has a hand-computed expected value.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RunHeaderSchema, RunRecordSchema, SampleLineSchema, type RunRecord } from '../../shared/src/runs/schema';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FAKE_SMI = path.join(ROOT, 'test', 'fixtures', 'runs', 'fake-nvidia-smi.js');
const INTERVAL_MS = 250;
const GPU_W = 250;
const CPU_W = 20;
const DRAM_W = 5;

/** A powercap tree (package-0, dram) whose energy_uj counters grow at CPU_W and DRAM_W, rewritten atomically. */
function fakePowercap(dir: string): { stop: () => void } {
  const zones = [
    { entry: 'intel-rapl:0', name: 'package-0', watts: CPU_W },
    { entry: 'intel-rapl:0:2', name: 'dram', watts: DRAM_W },
  ];
  const start = Date.now();
  const write = () => {
    for (const zone of zones) {
      const file = path.join(dir, zone.entry, 'energy_uj');
      writeFileSync(`${file}.tmp`, String(Math.round(zone.watts * (Date.now() - start) * 1000)));
      renameSync(`${file}.tmp`, file);
    }
  };
  for (const zone of zones) {
    mkdirSync(path.join(dir, zone.entry), { recursive: true });
    writeFileSync(path.join(dir, zone.entry, 'name'), `${zone.name}\n`);
    writeFileSync(path.join(dir, zone.entry, 'max_energy_range_uj'), '262143328850\n');
  }
  write();
  const timer = setInterval(write, 20);
  return { stop: () => clearInterval(timer) };
}

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The runner's exit (a job orphaned by SIGKILL keeps its stdio open, so this is not 'close'). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The runner's stdio closed: all its output is in. */
  closed: Promise<void>;
}

function startRun(cwd: string, runArgs: string[], command: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(
    process.execPath,
    [CLI, 'run', '--out', 'runs', '--interval-ms', String(INTERVAL_MS), '--nvidia-smi', FAKE_SMI, '--no-nvml', '--powercap-root', path.join(cwd, 'powercap'), ...runArgs, '--', ...command],
    { cwd, env: { ...process.env, FAKE_GPU_W: String(GPU_W), ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { child, stdout: () => stdout, stderr: () => stderr, exited, closed };
}

/** Waits for a condition, polling; fails with `what` after the deadline (no fixed sleeps). */
async function waitFor(condition: () => boolean, what: string, context: () => string = () => '', deadlineMs = 45_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function workspace(): { cwd: string; powercap: { stop: () => void } } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'green-ai-run-'));
  const powercap = fakePowercap(path.join(cwd, 'powercap'));
  writeFileSync(
    path.join(cwd, 'burn.js'),
    [
      "const fs = require('node:fs');",
      'if (process.env.APPS_FILE) fs.writeFileSync(process.env.APPS_FILE, `GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee, ${process.pid}, 3000\\nGPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee, ${process.env.FOREIGN_PID}, 1000\\n`);',
      "if (process.env.TERM_MARKER) process.on('SIGTERM', () => { fs.writeFileSync(process.env.TERM_MARKER, 'got SIGTERM'); process.exit(42); });",
      // Signals sent before this point would reach a half-started node; tests wait for this file.
      "if (process.env.READY_FILE) fs.writeFileSync(process.env.READY_FILE, String(process.pid));",
      "let input = '';",
      "if (process.env.READ_STDIN) process.stdin.on('data', (d) => { input += d; });",
      'const until = Date.now() + Number(process.env.BURN_MS || 2000);',
      'function burn() { const t = Date.now(); while (Date.now() - t < 50); if (Date.now() < until) setImmediate(burn); else { console.log(`job done; stdin: ${input.trim()}`); process.exit(Number(process.env.EXIT_CODE || 0)); } }',
      'burn();',
    ].join('\n'),
  );
  return { cwd, powercap };
}

function runDirOf(cwd: string): string {
  const names = readdirSync(path.join(cwd, 'runs'));
  assert.equal(names.length, 1, names.join(', '));
  return path.join(cwd, 'runs', names[0]!);
}

function samplesOf(dir: string): { lines: string[]; parsed: ReturnType<typeof SampleLineSchema.parse>[] } {
  if (!existsSync(path.join(dir, 'samples.jsonl'))) return { lines: [], parsed: [] };
  const lines = readFileSync(path.join(dir, 'samples.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
  return { lines, parsed: lines.map((line) => SampleLineSchema.parse(JSON.parse(line))) };
}

/** The job's PID from the header, once the runner has written it (undefined before). */
function jobPidOf(cwd: string): number | undefined {
  if (!existsSync(path.join(cwd, 'runs')) || readdirSync(path.join(cwd, 'runs')).length !== 1) return undefined;
  const file = path.join(runDirOf(cwd), 'run.partial.json');
  if (!existsSync(file)) return undefined;
  return RunHeaderSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).jobPid;
}

/** Kills a process if it still exists (cleanup after a failed assertion). */
function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function report(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [CLI, 'report', ...args], { cwd, encoding: 'utf8' });
}

const energyOf = (record: RunRecord, id: string) => record.components.find((c) => c.id === id);

describe('dist/cli.js run and report', function () {
  this.timeout(90_000);
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('profiles a CPU-burning job: output, stdin and exit code pass through; samples, energy and every report format', async () => {
    const { cwd, powercap } = workspace();
    cleanups.push(powercap.stop);
    const run = startRun(cwd, ['--label', 'burn', '--baseline-s', '0.75', '--location', 'FR'], ['node', 'burn.js'], { READ_STDIN: '1', EXIT_CODE: '7' });
    run.child.stdin!.end('ping\n');
    const { code } = await run.exited;
    await run.closed;
    assert.equal(code, 7, run.stderr());
    assert.match(run.stdout(), /job done; stdin: ping/);
    assert.match(run.stderr(), /green-ai run: failed \(exit 7\)/);

    const dir = runDirOf(cwd);
    assert.match(path.basename(dir), /^\d{8}T\d{6}Z-burn$/);
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')));
    const header = RunHeaderSchema.parse(JSON.parse(readFileSync(path.join(dir, 'run.partial.json'), 'utf8')));
    assert.deepEqual(record.command, ['node', 'burn.js']);
    assert.equal(record.status, 'failed');
    assert.equal(record.exitCode, 7);
    assert.equal(record.finalizedBy, 'recorder');
    assert.equal(header.jobPid !== undefined && header.launchedAt !== undefined, true);
    assert.equal(record.startedAt, header.launchedAt);
    assert.ok(record.durationS >= 2, `the job burns 2 s, recorded ${record.durationS}`);

    const { parsed } = samplesOf(dir);
    const runSamples = parsed.filter((s) => s.phase === 'run');
    assert.ok(parsed.some((s) => s.phase === 'baseline'));
    assert.equal(record.energy.samples, runSamples.length);
    assert.ok(runSamples.length >= 4, `${runSamples.length} run samples`);

    // Hand-computed: the GPU draws a constant 250 W and the RAPL counters advance at 20 W and 5 W, so each energy is
    // watts × duration. Tolerance: the sampler's readings lag the run's edges by at most one period at each end
    // (nvidia-smi rows and counter reads are asynchronous to launch and exit), i.e. watts × 2 periods.
    const tolerance = (watts: number) => watts * 2 * (INTERVAL_MS / 1000);
    for (const [id, watts] of [
      ['gpu:GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', GPU_W],
      ['cpu:package-0', CPU_W],
      ['ram:dram-0', DRAM_W],
    ] as const) {
      const component = energyOf(record, id);
      assert.ok(component, `${id} measured`);
      const expected = watts * record.durationS;
      assert.ok(Math.abs(component.energyJ - expected) <= tolerance(watts), `${id}: ${component.energyJ.toFixed(1)} J, expected ${expected.toFixed(1)} ± ${tolerance(watts)} J`);
      assert.equal(component.attribution, 'whole-device');
      assert.ok(component.coverage > 0.5, `${id} coverage ${component.coverage}`);
    }
    assert.equal(energyOf(record, 'gpu:GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')!.method, 'nvidia-smi');
    assert.equal(energyOf(record, 'cpu:package-0')!.method, 'rapl');
    assert.ok(Math.abs(record.baseline!.idleW - (GPU_W + CPU_W + DRAM_W)) <= 0.2 * (GPU_W + CPU_W + DRAM_W), `idle ${record.baseline!.idleW} W`);
    assert.equal(record.location.key, 'FR');
    assert.ok(Math.abs(record.co2eKg - (record.facilityEnergyKWh * record.intensity.gCO2ePerKWh) / 1000) < 1e-12);

    // Every report format, from the runs folder and from the run folder.
    const md = report(cwd, ['runs', '--format', 'md']);
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, /# Energy and carbon footprint report/);
    assert.ok(md.stdout.includes(`| ${path.basename(dir)} |`));
    assert.match(md.stdout, /\| RAPL package-0 \| rapl \|/);
    const html = report(cwd, ['runs', '--format', 'html', '--out', 'report.html']);
    assert.equal(html.status, 0, html.stderr);
    const page = readFileSync(path.join(cwd, 'report.html'), 'utf8');
    assert.match(page, /^<!DOCTYPE html>/);
    assert.doesNotMatch(page, /<script/i);
    const csv = report(cwd, [dir, '--format', 'csv']);
    assert.equal(csv.status, 0, csv.stderr);
    const [columns, row] = csv.stdout.trim().split('\n');
    assert.match(columns!, /^timestamp,project_name,run_id,duration,emissions,/);
    assert.equal(row!.split(',')[2], path.basename(dir));
    const json = report(cwd, ['runs', '--format', 'json']);
    assert.equal(json.status, 0, json.stderr);
    const parsedJson = JSON.parse(json.stdout) as { runs: unknown[] };
    assert.deepEqual(RunRecordSchema.parse(parsedJson.runs[0]), record);
    const card = report(cwd, ['runs', '--format', 'model-card']);
    assert.equal(card.status, 0, card.stderr);
    const yaml = parseYaml(card.stdout) as { co2_eq_emissions: { emissions: number; geographical_location: string } };
    assert.ok(Math.abs(yaml.co2_eq_emissions.emissions - record.co2eKg * 1000) <= record.co2eKg * 1000 * 1e-5);
    assert.equal(yaml.co2_eq_emissions.geographical_location, 'France');
    assert.equal(report(cwd, ['runs', '--format', 'pdf']).status, 2);
  });

  it("attributes a shared GPU to the job's process tree by its share of GPU memory", async () => {
    const { cwd, powercap } = workspace();
    cleanups.push(powercap.stop);
    const apps = path.join(cwd, 'apps.csv');
    // The job lists itself (3000 MiB) and this test process (1000 MiB, outside the job's tree) as compute apps.
    const run = startRun(cwd, ['--label', 'shared', '--baseline-s', '0'], ['node', 'burn.js'], { APPS_FILE: apps, FAKE_NVSMI_APPS: apps, FOREIGN_PID: String(process.pid) });
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr());
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(runDirOf(cwd), 'run.json'), 'utf8')));
    const gpu = energyOf(record, 'gpu:GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')!;
    assert.equal(gpu.attribution, 'process-tree', gpu.warnings.join('; '));
    assert.ok(gpu.deviceEnergyJ > 0);
    assert.ok(Math.abs(gpu.energyJ / gpu.deviceEnergyJ - 0.75) < 1e-9, `share ${gpu.energyJ / gpu.deviceEnergyJ}`);
    const { parsed } = samplesOf(runDirOf(cwd));
    assert.ok(parsed.some((s) => s.gpuShares?.['GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee']?.foreign === true));
    assert.equal(record.baseline, null, '--baseline-s 0');
  });

  it('a job killed with SIGTERM mid-run: exit 143, status interrupted, samples intact', async () => {
    const { cwd, powercap } = workspace();
    cleanups.push(powercap.stop);
    const ready = path.join(cwd, 'ready');
    const run = startRun(cwd, ['--label', 'killed', '--baseline-s', '0'], ['node', 'burn.js'], { BURN_MS: '60000', READY_FILE: ready });
    cleanups.push(() => run.child.kill('SIGKILL'));
    await waitFor(() => existsSync(ready) && jobPidOf(cwd) !== undefined && samplesOf(runDirOf(cwd)).parsed.filter((s) => s.phase === 'run').length >= 3, 'the job and three run samples', run.stderr);
    const jobPid = jobPidOf(cwd)!;
    cleanups.push(() => killQuietly(jobPid));
    process.kill(jobPid, 'SIGTERM');
    const { code } = await run.exited;
    assert.equal(code, 143, run.stderr());
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(runDirOf(cwd), 'run.json'), 'utf8')));
    assert.equal(record.status, 'interrupted');
    assert.equal(record.signal, 'SIGTERM');
    assert.equal(record.exitCode, null);
    const { parsed } = samplesOf(runDirOf(cwd));
    assert.equal(record.energy.samples, parsed.filter((s) => s.phase === 'run').length);
    assert.ok(record.energy.energyJ > 0);
  });

  it('SIGTERM to the runner is forwarded to the job, and the run is finalised', async () => {
    const { cwd, powercap } = workspace();
    cleanups.push(powercap.stop);
    const marker = path.join(cwd, 'term.txt');
    const ready = path.join(cwd, 'ready');
    const run = startRun(cwd, ['--label', 'forwarded', '--baseline-s', '0'], ['node', 'burn.js'], { BURN_MS: '60000', TERM_MARKER: marker, READY_FILE: ready });
    cleanups.push(() => run.child.kill('SIGKILL'));
    await waitFor(() => existsSync(ready) && jobPidOf(cwd) !== undefined && samplesOf(runDirOf(cwd)).parsed.filter((s) => s.phase === 'run').length >= 2, 'the job and two run samples', run.stderr);
    const jobPid = jobPidOf(cwd)!;
    cleanups.push(() => killQuietly(jobPid));
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    assert.equal(code, 42, run.stderr());
    assert.equal(readFileSync(marker, 'utf8'), 'got SIGTERM');
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(runDirOf(cwd), 'run.json'), 'utf8')));
    assert.equal(record.status, 'interrupted');
    assert.equal(record.exitCode, 42);
  });

  it('Ctrl-C in a terminal reaches the job once (not forwarded twice) and the run is recorded as interrupted', async function () {
    // A real terminal: util-linux `script` runs the runner on a pty, and the ^C written to it becomes SIGINT for the
    // terminal's foreground process group (runner and job), as when a user presses Ctrl-C.
    if (spawnSync('script', ['--version']).status !== 0) this.skip();
    const { cwd, powercap } = workspace();
    cleanups.push(powercap.stop);
    writeFileSync(
      path.join(cwd, 'sigint.js'),
      [
        "const fs = require('node:fs');",
        'let count = 0;',
        // Counts the SIGINTs that arrive; a forwarded duplicate would come within milliseconds of the first.
        "process.on('SIGINT', () => { count += 1; if (count === 1) setTimeout(() => { fs.writeFileSync('sigints.txt', String(count)); process.exit(130); }, 500); });",
        "fs.writeFileSync('ready', '1');",
        'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
    const inner = [process.execPath, CLI, 'run', '--out', 'runs', '--baseline-s', '0', '--interval-ms', String(INTERVAL_MS), '--nvidia-smi', FAKE_SMI, '--no-nvml', '--powercap-root', path.join(cwd, 'powercap'), '--', 'node', 'sigint.js'].map(quote).join(' ');
    // `script -c` takes one command line for the shell on the pty; every part is single-quoted above.
    const terminal = spawn('script', ['-qfec', inner, '/dev/null'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    terminal.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => terminal.once('exit', (code) => resolve(code)));
    cleanups.push(() => terminal.kill('SIGKILL'));
    await waitFor(() => existsSync(path.join(cwd, 'ready')) && jobPidOf(cwd) !== undefined, 'the job on the terminal', () => output);
    terminal.stdin.write('\x03');
    assert.equal(await exited, 130, output);
    assert.equal(readFileSync(path.join(cwd, 'sigints.txt'), 'utf8'), '1', 'the job saw one SIGINT');
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(runDirOf(cwd), 'run.json'), 'utf8')));
    assert.equal(record.status, 'interrupted');
    assert.equal(record.exitCode, 130);
  });

  it('a runner killed with SIGKILL leaves intact samples that report reads as incomplete and --finalize writes', async () => {
    const { cwd, powercap } = workspace();
    cleanups.push(powercap.stop);
    const run = startRun(cwd, ['--label', 'orphan', '--baseline-s', '0.5'], ['node', 'burn.js'], { BURN_MS: '60000' });
    cleanups.push(() => run.child.kill('SIGKILL'));
    await waitFor(() => jobPidOf(cwd) !== undefined && samplesOf(runDirOf(cwd)).parsed.filter((s) => s.phase === 'run').length >= 3, 'the job PID and three run samples', run.stderr);
    const dir = runDirOf(cwd);
    const jobPid = jobPidOf(cwd)!;
    cleanups.push(() => killQuietly(jobPid));
    run.child.kill('SIGKILL');
    await run.exited;
    // The orphaned job would go on writing nothing; stop it so the folder is what the runner left.
    killQuietly(jobPid);
    assert.equal(existsSync(path.join(dir, 'run.json')), false);
    // Every line on disk is a whole, valid sample (each is written in one synchronous write).
    const { lines, parsed } = samplesOf(dir);
    assert.equal(parsed.length, lines.length);

    const before = report(cwd, ['runs', '--format', 'json']);
    assert.equal(before.status, 0, before.stderr);
    const inMemory = RunRecordSchema.parse((JSON.parse(before.stdout) as { runs: unknown[] }).runs[0]);
    assert.equal(inMemory.status, 'incomplete');
    assert.equal(existsSync(path.join(dir, 'run.json')), false, 'reading does not write');

    const finalize = report(cwd, ['--finalize', 'runs']);
    assert.equal(finalize.status, 0, finalize.stderr);
    assert.match(finalize.stderr, /finalised runs\/\S+-orphan as incomplete/);
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')));
    assert.equal(record.status, 'incomplete');
    assert.equal(record.finalizedBy, 'finalize');
    assert.equal(record.energy.samples, parsed.filter((s) => s.phase === 'run').length);
    assert.equal(record.endedAt, new Date(parsed.at(-1)!.timestampMs).toISOString());
    assert.ok(record.energy.energyJ > 0);
    assert.ok(record.baseline !== null);
    const md = report(cwd, ['runs']);
    assert.match(md.stdout, /\| incomplete \|/);
  });

  it('compares with the estimate of a `python script.py` on the GPUs it sees; a command that cannot start exits 127', async () => {
    const { cwd, powercap } = workspace();
    cleanups.push(powercap.stop);
    writeFileSync(path.join(cwd, 'train.py'), readFileSync(path.join(ROOT, 'examples', 'finetune_bert_trainer.py')));
    // Whether python3 exists here or not (127), the estimate is made before launch.
    const run = startRun(cwd, ['--label', 'estimated', '--baseline-s', '0'], ['python3', 'train.py']);
    await run.exited;
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(runDirOf(cwd), 'run.json'), 'utf8')));
    assert.ok(record.estimate, run.stderr());
    assert.equal(record.estimate.source, 'green-ai estimate train.py');
    assert.ok(record.estimate.energyKWh > 0);
    assert.equal(record.estimate.differencePercent, ((record.facilityEnergyKWh - record.estimate.energyKWh) / record.estimate.energyKWh) * 100);
    const estimate = spawnSync(process.execPath, [CLI, 'estimate', 'train.py', '--gpu', 'NVIDIA H100 80GB HBM3', '--gpus', '1', '--format', 'json'], { cwd, encoding: 'utf8' });
    assert.equal(record.estimate.energyKWh, (JSON.parse(estimate.stdout) as { energyKWh: { value: number } }).energyKWh.value);

    const missing = startRun(cwd, ['--label', 'missing', '--baseline-s', '0', '--estimate-kwh', '0.5'], ['no-such-command-green-ai', 'x']);
    const { code } = await missing.exited;
    assert.equal(code, 127);
    assert.match(missing.stderr(), /cannot start no-such-command-green-ai/);
    const dir = readdirSync(path.join(cwd, 'runs')).find((name) => name.endsWith('-missing'))!;
    const failed = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(cwd, 'runs', dir, 'run.json'), 'utf8')));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.exitCode, 127);
    assert.equal(failed.estimate?.energyKWh, 0.5);
    assert.equal(failed.estimate?.source, 'given with --estimate-kwh');
  });

  it("takes the project file's location when --location is not given, as check and estimate do", async () => {
    const { cwd, powercap } = workspace();
    cleanups.push(powercap.stop);
    writeFileSync(path.join(cwd, '.green-ai.toml'), 'location = "DE"\n');
    const run = startRun(cwd, ['--label', 'project', '--baseline-s', '0'], ['node', 'burn.js'], { BURN_MS: '300' });
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr());
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(runDirOf(cwd), 'run.json'), 'utf8')));
    assert.equal(record.location.key, 'DE');
  });

  it('usage errors exit 2: no command, no -- before it, a bad number, an unknown location', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'green-ai-run-'));
    const cases: Array<[string[], RegExp]> = [
      [['run'], /no command given/],
      [['run', 'node', 'x.js'], /put -- before the command/],
      [['run', '--interval-ms', 'fast', '--', 'node'], /--interval-ms must be a whole number/],
      [['run', '--location', 'Atlantis', '--', 'node'], /--location: /],
    ];
    for (const [args, message] of cases) {
      const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
    assert.equal(existsSync(path.join(cwd, '.green-ai')), false, 'nothing recorded');
    const missing = report(cwd, []);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no such folder: \.green-ai\/runs/);
  });
});
