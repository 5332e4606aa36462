/**
 * `green-ai power [--json] [--interval-ms N] [--duration S] [--location X] [--nvidia-smi PATH] [--powercap-root DIR]`:
 * live power readings of this machine from the measurement layer (shared/src/power), one line (or one JSON object)
 * per sample with energy and CO2e so far. Runs until --duration or Ctrl-C; either way every child is stopped before it
 * returns. Exit codes: 0 done, 2 usage errors or an unknown location.
 */
import { parseArgs } from 'node:util';
import { formatEnergy, formatMass, resolveLocation } from '../../../shared/src/carbon/index';
import { carbonSoFar, createPowerSampler, type ComponentReading, type PowerSample, type PowerSamplerOptions } from '../../../shared/src/power/index';

export const POWER_USAGE = `Usage: green-ai power [options]

Prints this machine's power draw as it is measured: NVIDIA GPUs (NVML, else nvidia-smi), AMD GPUs (hwmon),
CPU and RAM (RAPL, else estimated from load × TDP and per GB), with energy and CO2e so far.

Options:
  --json                          one JSON object per sample instead of text lines
  --interval-ms N                 sampling period in ms (default 1000, at least 10)
  --duration S                    stop after S seconds (default: run until Ctrl-C)
  --location CODE                 country (DE, FR…), cloud region (aws:us-east-1…) or WORLD (default) for CO2e
  --nvidia-smi PATH               the nvidia-smi binary (default: nvidia-smi on PATH)
  --nvml-library PATH|none        the NVML library (default libnvidia-ml.so.1 / nvml.dll); none skips NVML
  --powercap-root DIR             the powercap tree for RAPL (default /sys/class/powercap)
  --cpu-report                    at the end, print this process's CPU time while sampling to stderr (npm run bench)
  -h, --help                      show this help
`;

export interface PowerIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

class PowerUsageError extends Error {}

function positive(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new PowerUsageError(`${flag} expects a number ≥ ${min}, got "${raw}"`);
  return value;
}

/** `signal` ends the run (tests); without it SIGINT/SIGTERM do, and their handlers are removed afterwards. */
export async function powerCommand(argv: readonly string[], io: PowerIo, signal?: AbortSignal): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        json: { type: 'boolean' },
        'interval-ms': { type: 'string' },
        duration: { type: 'string' },
        location: { type: 'string' },
        'nvidia-smi': { type: 'string' },
        'nvml-library': { type: 'string' },
        'powercap-root': { type: 'string' },
        'cpu-report': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.stderr(`green-ai power: ${error instanceof Error ? error.message : String(error)}\n\n${POWER_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(POWER_USAGE);
    return 0;
  }
  let intervalMs: number;
  let durationS: number | undefined;
  try {
    intervalMs = positive('--interval-ms', values['interval-ms'], 10) ?? 1000;
    durationS = positive('--duration', values.duration, 0);
  } catch (error) {
    io.stderr(`green-ai power: ${(error as Error).message}\n\n${POWER_USAGE}`);
    return 2;
  }
  const location = resolveLocation(values.location);
  if (!location.ok) {
    io.stderr(`green-ai power: ${location.problems.map((problem) => problem.message).join('; ')}\n`);
    return 2;
  }
  const options: PowerSamplerOptions = { intervalMs };
  if (values['nvidia-smi'] !== undefined) options.nvidiaSmiPath = values['nvidia-smi'];
  if (values['nvml-library'] !== undefined) options.nvmlLibraryPath = values['nvml-library'] === 'none' ? null : values['nvml-library'];
  if (values['powercap-root'] !== undefined) options.powercapRoot = values['powercap-root'];

  const sampler = createPowerSampler(options);
  const json = values.json === true;
  const header = (line: string) => (json ? io.stderr(`${line}\n`) : io.stdout(`# ${line}\n`));
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const onSignal = () => finish();
  if (signal) {
    if (signal.aborted) finish();
    signal.addEventListener('abort', onSignal, { once: true });
  } else {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const timer = durationS === undefined ? undefined : setTimeout(finish, durationS * 1000);
  try {
    await sampler.start();
    for (const line of sampler.describeSources()) header(line);
    header(`CO2e at ${location.value.label}: ${location.value.gCO2ePerKWh} gCO2e/kWh`);
    let samples = 0;
    sampler.onSample((sample) => {
      samples++;
      io.stdout(json ? `${JSON.stringify(withCarbon(sample, values.location))}\n` : `${textLine(sample, values.location)}\n`);
    });
    // Measured after start (probing, first child spawn) and before stop: the steady cost of sampling.
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    await done;
    if (values['cpu-report']) {
      const cpu = process.cpuUsage(cpuStart);
      io.stderr(`cpu-report ${JSON.stringify({ userUs: cpu.user, systemUs: cpu.system, wallMs: performance.now() - wallStart, samples })}\n`);
    }
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sampler.stop();
  }
  return 0;
}

function withCarbon(sample: PowerSample, location: string | undefined): PowerSample & { carbon: ReturnType<typeof carbonSoFar> } {
  return { ...sample, carbon: carbonSoFar(sample.totalEnergyJ, location) };
}

function watts(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(1)} W`;
}

function componentText(reading: ComponentReading): string {
  const warn = reading.warnings?.length ? ` [${reading.warnings.join('; ')}]` : '';
  return `${reading.name} ${watts(reading.watts)} (${reading.source})${warn}`;
}

export function textLine(sample: PowerSample, location: string | undefined): string {
  const time = new Date(sample.timestampMs).toISOString().slice(11, 19);
  const carbon = carbonSoFar(sample.totalEnergyJ, location);
  const co2 = carbon.ok ? `${formatMass(carbon.gramsCO2e / 1000)} CO2e` : `CO2e unknown: ${carbon.message}`;
  const coverage = sample.coverage < 0.999 ? `, coverage ${Math.round(sample.coverage * 100)}%` : '';
  return `${time}  total ${watts(sample.totalWatts)}  energy ${formatEnergy(sample.totalEnergyJ / 3.6e6)}  ${co2}${coverage}\n  ${sample.components.map(componentText).join('\n  ')}`;
}
