/**
 * `green-ai run [options] -- <command> [args...]`: runs a command as it would run on its own (stdin/stdout/stderr
 * passed through, its exit code returned, 128+n for a signal death) while the power sampler measures the machine:
 * an idle baseline first, then every component during the run, the job's share of shared NVIDIA GPUs, and the run
 * folder written as it goes (shared/src/runs/recorder.ts) so that an interrupted or killed run loses nothing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, constants, hostname, platform, arch, release, totalmem } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
// isatty(0) rather than process.stdin.isTTY: touching process.stdin would open a reader on the job's terminal.
import { isatty } from 'node:tty';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatEnergy, formatMass, loadTables, resolveLocation } from '../../../shared/src/carbon/index';
import { createPowerSampler, type PowerSample, type PowerSampler, type PowerSamplerOptions } from '../../../shared/src/power/index';
import { GpuShareProbe } from '../../../shared/src/runs/gpuShare';
import { DEFAULT_RUNS_DIR } from '../../../shared/src/runs/index';
import { RunRecorder } from '../../../shared/src/runs/recorder';
import type { RunEnd } from '../../../shared/src/runs/finalize';
import type { Hardware, RunHeader, RunRecord, SampleLine } from '../../../shared/src/runs/schema';
import { VERSION } from '../../../shared/src/version';
import { CliProjectSettings } from '../project/cliProjectSettings';
import { estimateCommand } from './estimate';

export const RUN_USAGE = `Usage: green-ai run [options] -- <command> [args...]

Runs the command and measures its energy: an idle baseline first, then every power source during the run
(NVIDIA GPUs, RAPL CPU/RAM, else labelled estimates). The command's input, output and exit code pass through.
The run is recorded under <out>/<timestamp>-<label>/ (run.partial.json, samples.jsonl, run.json).

Options:
  --out DIR               runs folder (default ${DEFAULT_RUNS_DIR} in the current directory)
  --label TEXT            name of the run (default: the command's name)
  --interval-ms N         sampling period (default 1000)
  --baseline-s N          seconds of idle measurement before launch (default 3; 0 to skip)
  --location X            country (DE), cloud region (aws:us-east-1) or WORLD for CO2e (default: the project file's, else WORLD)
  --pue P                 power usage effectiveness (default: the provider's, else the industry default)
  --estimate-kwh N        the pre-run estimate to compare with (default: \`green-ai estimate\` of a \`python script.py\`)
  --nvidia-smi PATH       the nvidia-smi binary (default: nvidia-smi on PATH)
  --powercap-root DIR     the RAPL powercap tree (default /sys/class/powercap)
  --no-nvml               read NVIDIA GPUs through nvidia-smi, not the NVML library
  -h, --help              show this help
`;

export interface RunIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

class RunUsageError extends Error {}

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

export async function runCommand(argv: readonly string[], io: RunIo): Promise<number> {
  try {
    return await profile(argv, io);
  } catch (error) {
    if (error instanceof RunUsageError) {
      io.stderr(`green-ai run: ${error.message}\n\n${RUN_USAGE}`);
      return 2;
    }
    throw error;
  }
}

function numberOption(flag: string, raw: string | undefined, fallback: number, { min, integer }: { min: number; integer?: boolean }): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer === true && !Number.isInteger(value))) {
    throw new RunUsageError(`${flag} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}, not "${raw}"`);
  }
  return value;
}

async function profile(argv: readonly string[], io: RunIo): Promise<number> {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const command = split === -1 ? [] : argv.slice(split + 1);
  let values;
  try {
    ({ values } = parseArgs({
      args: [...own],
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        label: { type: 'string' },
        'interval-ms': { type: 'string' },
        'baseline-s': { type: 'string' },
        location: { type: 'string' },
        pue: { type: 'string' },
        'estimate-kwh': { type: 'string' },
        'nvidia-smi': { type: 'string' },
        'powercap-root': { type: 'string' },
        'no-nvml': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RunUsageError(split === -1 && /positional/i.test(message) ? 'put -- before the command to run: green-ai run [options] -- <command> [args...]' : message);
  }
  if (values.help) {
    io.stdout(RUN_USAGE);
    return 0;
  }
  if (command.length === 0) throw new RunUsageError('no command given: green-ai run [options] -- <command> [args...]');
  const intervalMs = numberOption('--interval-ms', values['interval-ms'], 1000, { min: 50, integer: true });
  const baselineS = numberOption('--baseline-s', values['baseline-s'], 3, { min: 0 });
  const pue = values.pue === undefined ? undefined : numberOption('--pue', values.pue, 1, { min: 1 });
  const estimateKWh = values['estimate-kwh'] === undefined ? undefined : numberOption('--estimate-kwh', values['estimate-kwh'], 0, { min: 0 });
  // Without --location, the project file's location (pyproject.toml [tool.green-ai] / .green-ai.toml), as `check` and `estimate` use.
  const location = values.location ?? new CliProjectSettings({}).forDirectory(io.cwd).settings.location;
  const tables = loadTables();
  if (!tables.ok) {
    io.stderr(`green-ai run: ${tables.problems.map((p) => p.message).join('\n')}\n`);
    return 2;
  }
  const place = resolveLocation(location, tables.value);
  if (!place.ok) throw new RunUsageError(`--location: ${place.problems.map((p) => p.message).join('; ')}`);
  const runsDir = resolve(io.cwd, values.out ?? DEFAULT_RUNS_DIR);
  const nvidiaSmiPath = values['nvidia-smi'] ?? 'nvidia-smi';

  const samplerOptions: PowerSamplerOptions = { intervalMs };
  if (values['nvidia-smi'] !== undefined) samplerOptions.nvidiaSmiPath = resolve(io.cwd, values['nvidia-smi']);
  if (values['powercap-root'] !== undefined) samplerOptions.powercapRoot = resolve(io.cwd, values['powercap-root']);
  if (values['no-nvml']) samplerOptions.nvmlLibraryPath = null;
  const sampler: PowerSampler = createPowerSampler(samplerOptions);
  let phase: SampleLine['phase'] = 'baseline';
  let recorder: RunRecorder | undefined;
  const pending: SampleLine[] = [];
  let child: ChildProcess | undefined;
  const gpuUuids = (sample: PowerSample | undefined) => (sample?.components ?? []).filter((c) => c.kind === 'gpu' && c.id.startsWith('gpu:') && (c.method === 'nvidia-smi' || c.method.startsWith('nvml'))).map((c) => c.id.slice(4));
  const probe = new GpuShareProbe(samplerOptions.nvidiaSmiPath ?? nvidiaSmiPath, () => gpuUuids(sampler.latest()));
  const sampleWaiters: Array<() => void> = [];
  const unsubscribe = sampler.onSample((sample: PowerSample) => {
    const line: SampleLine = { phase, ...sample };
    if (phase === 'run' && child?.pid !== undefined && gpuUuids(sample).length > 0) {
      const share = probe.latest();
      if (share?.ok) line.gpuShares = share.shares;
      else if (share) line.gpuShareProblem = share.problem;
      probe.poll(child.pid);
    }
    if (recorder) recorder.append(line);
    else pending.push(line);
    for (const wake of sampleWaiters.splice(0)) wake();
  });
  const nextSample = (timeoutMs: number) =>
    new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      sampleWaiters.push(() => {
        clearTimeout(timer);
        done(true);
      });
    });

  // Signals before launch end the run before it starts; after launch they go to the job, whose end ends the run.
  let interruptedBy: ForwardedSignal | undefined;
  let wakeBaseline: (() => void) | undefined;
  const onSignal = (signal: ForwardedSignal) => {
    const first = interruptedBy === undefined;
    interruptedBy ??= signal;
    if (!child) {
      wakeBaseline?.();
      return;
    }
    // A Ctrl-C typed in the terminal already reached the job (same process group); forwarding it again would make
    // the job see two. Any other signal, or a second Ctrl-C, is forwarded.
    if (signal === 'SIGINT' && first && isatty(0)) return;
    child.kill(signal);
  };
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = () => onSignal(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const cleanup = async () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    probe.stop();
    unsubscribe();
    await sampler.stop();
  };

  try {
    const startedAt = new Date();
    const [gitCommit] = await Promise.all([gitHead(io.cwd), sampler.start()]);
    const sawFirst = sampler.latest() !== undefined || (await nextSample(Math.max(5000, 3 * intervalMs)));
    const first = sampler.latest();
    // The estimate is made for the GPUs the sampler sees, so that the comparison is like for like.
    const gpuNames = hardwareOf(first).gpus.map((gpu) => gpu.name);
    const estimate = estimateKWh !== undefined ? { kWh: estimateKWh, source: 'given with --estimate-kwh' } : await scriptEstimate(command, io.cwd, location, gpuNames, io);
    const header: Omit<RunHeader, 'id'> = {
      schemaVersion: 1,
      command: [...command],
      cwd: io.cwd,
      startedAt: startedAt.toISOString(),
      host: { hostname: hostname(), platform: platform(), arch: arch(), osRelease: release(), nodeVersion: process.versions.node, greenAiVersion: VERSION },
      hardware: hardwareOf(first),
      intervalMs,
      baselineS,
      location,
      sources: sampler.describeSources(),
      runnerPid: process.pid,
    };
    if (values.label !== undefined) header.label = values.label;
    if (gitCommit !== undefined) header.gitCommit = gitCommit;
    if (pue !== undefined) header.pue = pue;
    if (estimate) {
      header.estimateKWh = estimate.kWh;
      header.estimateSource = estimate.source;
    }
    recorder = await RunRecorder.create(runsDir, header, values.label ?? basename(command[0]!));
    for (const line of pending.splice(0)) recorder.append(line);
    const runDir = relativeOrAbsolute(io.cwd, recorder.dir);
    io.stderr(`green-ai run: recording ${runDir}${baselineS > 0 ? ` (idle baseline ${baselineS} s first)` : ''}\n`);
    if (!sawFirst) io.stderr('green-ai run: the power sampler gave no sample yet; measuring anyway\n');

    if (baselineS > 0 && interruptedBy === undefined) {
      await new Promise<void>((done) => {
        const timer = setTimeout(done, baselineS * 1000);
        wakeBaseline = () => {
          clearTimeout(timer);
          done();
        };
      });
    }
    if (interruptedBy !== undefined) {
      await cleanup();
      const result = await recorder.finish({ endedAt: new Date().toISOString(), exitCode: null, signal: interruptedBy, status: 'interrupted', warnings: [`interrupted by ${interruptedBy} before the command started`] });
      io.stderr(`green-ai run: interrupted before the command started; recorded in ${runDir}\n`);
      if (!result.ok) io.stderr(`green-ai run: cannot write run.json: ${result.problem}\n`);
      return 128 + (constants.signals[interruptedBy] ?? 0);
    }

    phase = 'run';
    const launchedAt = new Date();
    const started = startChild(command, io.cwd);
    child = started.child;
    if (child.pid !== undefined) await recorder.updateHeader({ launchedAt: launchedAt.toISOString(), jobPid: child.pid, hardware: hardwareOf(sampler.latest()) });
    const exit = await started.exited;
    const endedAt = new Date();
    // The interval in which the job ended is closed by the next sample, so its energy is not dropped.
    await nextSample(3 * intervalMs);
    await cleanup();

    const end: RunEnd = exit.kind === 'spawn-error'
      ? { endedAt: endedAt.toISOString(), exitCode: 127, status: 'failed', warnings: [`cannot start ${command[0]}: ${exit.message}`] }
      : endOf(exit.code, exit.signal, interruptedBy, endedAt);
    if (exit.kind === 'spawn-error') io.stderr(`green-ai run: cannot start ${command[0]}: ${exit.message}\n`);
    const result = await recorder.finish(end);
    if (!result.ok) {
      io.stderr(`green-ai run: cannot write run.json (the samples are in ${runDir}; \`green-ai report --finalize ${runDir}\` retries): ${result.problem}\n`);
    } else {
      io.stderr(summaryOf(result.record, runDir));
    }
    if (exit.kind === 'spawn-error') return 127;
    return exit.signal ? 128 + (constants.signals[exit.signal as NodeJS.Signals] ?? 0) : (exit.code ?? 1);
  } catch (error) {
    await cleanup().catch(() => undefined);
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    throw error;
  }
}

type ChildExit = { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null } | { kind: 'spawn-error'; message: string };

function startChild(command: readonly string[], cwd: string): { child: ChildProcess; exited: Promise<ChildExit> } {
  const child = spawn(command[0]!, command.slice(1), { cwd, stdio: 'inherit', shell: false });
  const exited = new Promise<ChildExit>((done) => {
    child.once('error', (error) => done({ kind: 'spawn-error', message: error.message }));
    child.once('exit', (code, signal) => done({ kind: 'exit', code, signal }));
  });
  return { child, exited };
}

function endOf(code: number | null, signal: NodeJS.Signals | null, interruptedBy: ForwardedSignal | undefined, endedAt: Date): RunEnd {
  const end: RunEnd = { endedAt: endedAt.toISOString(), exitCode: code, status: 'completed' };
  if (signal) end.signal = signal;
  if (interruptedBy !== undefined || signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP') end.status = 'interrupted';
  else if (code !== 0) end.status = 'failed';
  return end;
}

function hardwareOf(sample: PowerSample | undefined): Hardware {
  const cpuList = cpus();
  return {
    gpus: (sample?.components ?? [])
      .filter((c) => c.kind === 'gpu')
      .map((c) => {
        // The sampler's label ends in " (GPU n)"; the model name alone is what the carbon tables resolve.
        const gpu: Hardware['gpus'][number] = { id: c.id, name: c.name.replace(/\s*\(GPU \d+\)$/, '') };
        if (c.id.startsWith('gpu:')) gpu.uuid = c.id.slice(4);
        if (c.powerLimitW !== undefined) gpu.powerLimitW = c.powerLimitW;
        if (c.memoryTotalMiB !== undefined) gpu.memoryTotalMiB = c.memoryTotalMiB;
        return gpu;
      }),
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cpuCount: cpuList.length,
    ramTotalGB: totalmem() / 1024 ** 3,
  };
}

/** `git rev-parse HEAD` in cwd; undefined outside a repository or without git. */
function gitHead(cwd: string): Promise<string | undefined> {
  return new Promise((done) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5000, windowsHide: true }, (error, stdout) => {
      const head = stdout.trim();
      done(!error && /^[0-9a-f]{40,64}$/.test(head) ? head : undefined);
    });
  });
}

const EstimateJsonSchema = z.object({ energyKWh: z.object({ value: z.number().nonnegative() }) });

/**
 * For `python[3] script.py …`, the estimator's figure for the script on the GPUs this machine has (none when it cannot
 * size the run, said on stderr so the user knows why the comparison is missing).
 */
async function scriptEstimate(command: readonly string[], cwd: string, location: string, gpuNames: readonly string[], io: RunIo): Promise<{ kWh: number; source: string } | undefined> {
  const [program, script] = command;
  if (!program || !script || !/^python(\d+(\.\d+)?)?$/.test(basename(program)) || !script.endsWith('.py')) return undefined;
  const file = isAbsolute(script) ? script : join(cwd, script);
  if (!existsSync(file)) return undefined;
  const args = [file, '--location', location, '--format', 'json'];
  if (gpuNames[0] !== undefined) args.push('--gpu', gpuNames[0], '--gpus', String(gpuNames.length));
  let out = '';
  let err = '';
  const code = await estimateCommand(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) }).catch(() => 2);
  if (code !== 0) {
    // The estimator's first line says why and the indented lines after it say what to add: keep them all.
    const lines = err.split('\n').filter((line) => line.trim() !== '').map((line) => line.replace(/^green-ai estimate: /, ''));
    const reason = lines.length > 0 ? lines.join('\n') : `exit ${code}`;
    io.stderr(`green-ai run: no pre-run estimate for ${script}: ${reason}\n`);
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    return undefined;
  }
  const parsed = EstimateJsonSchema.safeParse(json);
  return parsed.success ? { kWh: parsed.data.energyKWh.value, source: `green-ai estimate ${script}` } : undefined;
}

function relativeOrAbsolute(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function summaryOf(record: RunRecord, runDir: string): string {
  const exit = record.signal ? `signal ${record.signal}` : `exit ${record.exitCode ?? '?'}`;
  const parts = record.components.map((c) => `${c.name} ${formatEnergy(c.energyJ / 3.6e6)} (${c.method}${c.attribution === 'process-tree' ? ', job share' : ''})`);
  const lines = [
    `green-ai run: ${record.status} (${exit}) after ${record.durationS.toFixed(1)} s — ${formatEnergy(record.energy.energyKWh)} IT energy, ${formatMass(record.co2eKg)} CO2e (${record.location.label}, ${Math.round(record.intensity.gCO2ePerKWh)} g/kWh, PUE ${record.pue.value})`,
    `green-ai run: ${parts.join(' · ') || 'no component measured'}`,
  ];
  if (record.embodied?.co2eKg != null) lines.push(`green-ai run: embodied ${formatMass(record.embodied.co2eKg)} CO2e beside it (${record.embodied.basis})`);
  if (record.baseline) lines.push(`green-ai run: idle ${record.baseline.idleW.toFixed(1)} W; above idle ${formatEnergy(record.baseline.aboveIdleEnergyJ / 3.6e6)}`);
  if (record.estimate) lines.push(`green-ai run: estimate ${formatEnergy(record.estimate.energyKWh)} (${record.estimate.source})${record.estimate.differencePercent !== null ? `, measured ${record.estimate.differencePercent >= 0 ? '+' : ''}${record.estimate.differencePercent.toFixed(0)}%` : ''}`);
  lines.push(`green-ai run: recorded in ${runDir}`);
  return `${lines.join('\n')}\n`;
}
