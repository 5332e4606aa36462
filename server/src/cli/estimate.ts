/**
 * `green-ai estimate [FILE...] [flags]`: the energy, CO2e and water of a training run, from the run a script
 * describes (flags override what it says) or from flags alone. Exit codes: 0 estimated, 1 a file's run size
 * is unknown (what is missing is printed), 2 usage errors, unknown GPU or location (with the closest names).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  estimateRun,
  formatEnergy,
  formatMass,
  formatVolume,
  applyOverrides,
  loadTables,
  PRECISIONS,
  resolveGpu,
  resolveLocation,
  type Assumption,
  type Estimate,
  type Precision,
  type Range,
  type RunInput,
} from '../../../shared/src/carbon/index';
import type { Settings } from '../../../shared/src/settings';
import { CliProjectSettings, formatProjectProblems } from '../project/cliProjectSettings';
import { AnalysisContext } from '../analysis/context';
import { createPythonParser } from '../documents/pythonParser';
import { runFromFacts, type MissingInput } from '../estimates/runInput';

export const ESTIMATE_USAGE = `Usage: green-ai estimate [FILE...] [options]

Estimates the energy, CO2e (operational + embodied) and water of a training run: the run the files
describe (options override what they say), or the run the options alone describe.

Size of the run (one of; required without FILE):
  --hours H                       wall-clock hours (× --gpus for device-hours)
  --gpu-hours H                   accelerator-hours
  --flops F                       training FLOPs
  --params P --tokens T           dense transformer: 6 × P × T FLOPs
Hardware and place:
  --gpu NAME                      accelerator (default A100-SXM4-80GB), e.g. H100, "NVIDIA A100-SXM4-80GB", L4
  --gpus N                        number of accelerators (default 1, or what the script says)
  --power-w W                     average power per accelerator in W (instead of TDP × utilisation)
  --utilization U                 average accelerator power as a fraction of TDP (0–1)
  --mfu M                         model FLOPs utilisation (0–1), for --flops/--params
  --precision fp32|tf32|fp16|bf16|fp8
  --location CODE                 country (DE, FR, US…), cloud region (aws:us-east-1…) or WORLD (default)
  --intensity G                   grid intensity in gCO2e/kWh (instead of the location's)
  --pue P                         power usage effectiveness (instead of the provider or industry default)
  --gpu-only                      count the accelerators alone (no host CPU and memory), as most papers do
  --format text|json              output format (default text)
`;

export interface EstimateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

class EstimateUsageError extends Error {}

const positiveNumber = (flag: string, raw: string | undefined, { max }: { max?: number } = {}): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value <= 0 || (max !== undefined && value > max)) {
    throw new EstimateUsageError(`${flag} must be a positive number${max !== undefined ? ` no greater than ${max}` : ''}, not "${raw}"`);
  }
  return value;
};

export async function estimateCommand(argv: readonly string[], io: EstimateIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof EstimateUsageError) {
      io.stderr(`green-ai estimate: ${error.message}\n\n${ESTIMATE_USAGE}`);
      return 2;
    }
    throw error;
  }
}

async function run(argv: readonly string[], io: EstimateIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        gpu: { type: 'string' },
        gpus: { type: 'string' },
        hours: { type: 'string' },
        'gpu-hours': { type: 'string' },
        flops: { type: 'string' },
        params: { type: 'string' },
        tokens: { type: 'string' },
        'power-w': { type: 'string' },
        utilization: { type: 'string' },
        mfu: { type: 'string' },
        precision: { type: 'string' },
        location: { type: 'string' },
        intensity: { type: 'string' },
        pue: { type: 'string' },
        'gpu-only': { type: 'boolean' },
        format: { type: 'string', default: 'text' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new EstimateUsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals: files } = parsed;
  if (values.help) {
    io.stdout(ESTIMATE_USAGE);
    return 0;
  }
  const format = values.format;
  if (format !== 'text' && format !== 'json') throw new EstimateUsageError(`--format must be text or json, not "${format}"`);
  const precision = values.precision;
  if (precision !== undefined && !(PRECISIONS as readonly string[]).includes(precision)) {
    throw new EstimateUsageError(`--precision must be one of ${PRECISIONS.join(', ')}, not "${precision}"`);
  }
  const sizes = (['hours', 'gpu-hours', 'flops', 'params'] as const).filter((flag) => values[flag] !== undefined);
  if (sizes.length > 1) throw new EstimateUsageError(`give one of --hours, --gpu-hours, --flops or --params/--tokens, not ${sizes.map((s) => `--${s}`).join(' and ')}`);
  if ((values.params === undefined) !== (values.tokens === undefined)) throw new EstimateUsageError('--params and --tokens go together');
  const gpus = positiveNumber('--gpus', values.gpus);
  if (gpus !== undefined && !Number.isInteger(gpus)) throw new EstimateUsageError(`--gpus must be a whole number, not "${values.gpus}"`);

  // The project file (pyproject.toml [tool.green-ai] / .green-ai.toml) nearest the first script, else the working
  // directory, gives the hardware, location and table overrides that flags do not; `check` reads the same file.
  const projects = new CliProjectSettings({});
  const settings = projects.forDirectory(files[0] !== undefined ? path.dirname(path.resolve(files[0])) : process.cwd()).settings;
  io.stderr(formatProjectProblems(projects.configs(), process.cwd()));
  // Names first, so that a typo is a usage error that lists the closest known names.
  const shipped = loadTables();
  const tables = shipped.ok ? applyOverrides(shipped.value, settings['carbon.overrides']) : shipped;
  if (!tables.ok) {
    io.stderr(`green-ai estimate: ${tables.problems.map((p) => p.message).join('\n')}\n`);
    return 2;
  }
  const gpuName = values.gpu ?? settings['hardware.gpu'];
  const gpu = resolveGpu(gpuName, tables.value);
  if (!gpu.ok) throw new EstimateUsageError(gpu.problems.map((p) => p.message).join('; '));
  const locationName = values.location ?? settings.location;
  const location = resolveLocation(locationName, tables.value);
  if (!location.ok) throw new EstimateUsageError(`--location: ${location.problems.map((p) => p.message).join('; ')}`);

  // The run: from the files, else a bare one the flags complete.
  let input: RunInput = { hardware: { gpu: gpuName, count: gpus ?? settings['hardware.count'] } };
  const fromFiles: string[] = [];
  let scriptAssumptions: Assumption[] = [];
  if (files.length > 0) {
    const extracted = await runOfFiles(files, { ...settings, 'hardware.gpu': gpuName, 'hardware.count': gpus ?? settings['hardware.count'], location: locationName }, io, gpus !== undefined);
    if (extracted.kind === 'unreadable') return 2;
    fromFiles.push(extracted.file);
    if (extracted.kind === 'missing') {
      if (sizes.length === 0) {
        io.stderr(`green-ai estimate: cannot size the run in ${extracted.file}:\n${extracted.missing.map((m) => `  needs ${m.input} — ${m.how}, or give --hours, --gpu-hours, --flops or --params/--tokens\n`).join('')}`);
        return 1;
      }
    } else {
      input = extracted.input;
      // What the script said; flags given below replace these values in the model's own list.
      scriptAssumptions = extracted.assumptions.filter((a) => !a.source.title.startsWith('Setting greenAI.'));
    }
  } else if (sizes.length === 0) {
    throw new EstimateUsageError('give the size of the run (--hours, --gpu-hours, --flops or --params/--tokens) or a training script');
  }

  // Flags override what the files say.
  const hardware = { ...input.hardware, gpu: gpuName, ...(gpus !== undefined ? { count: gpus } : {}) };
  const powerW = positiveNumber('--power-w', values['power-w']);
  const utilisation = positiveNumber('--utilization', values.utilization, { max: 1 });
  if (powerW !== undefined) hardware.powerW = powerW;
  if (utilisation !== undefined) hardware.utilisation = utilisation;
  if (values['gpu-only']) Object.assign(hardware, { cpu: { sockets: 0 }, ramGB: 0 });
  input = { ...input, hardware };
  const hours = positiveNumber('--hours', values.hours);
  const gpuHours = positiveNumber('--gpu-hours', values['gpu-hours']);
  const flops = positiveNumber('--flops', values.flops);
  const params = positiveNumber('--params', values.params);
  const tokens = positiveNumber('--tokens', values.tokens);
  if (hours !== undefined) input = { ...input, duration: { wallHours: hours }, compute: undefined };
  if (gpuHours !== undefined) input = { ...input, duration: { deviceHours: gpuHours }, compute: undefined };
  if (flops !== undefined) input = { ...input, compute: { flops }, duration: undefined };
  if (params !== undefined && tokens !== undefined) input = { ...input, compute: { parameters: params, tokens }, duration: undefined };
  const mfu = positiveNumber('--mfu', values.mfu, { max: 1 });
  if (mfu !== undefined) input.mfu = mfu;
  if (precision !== undefined) input.precision = precision as Precision;
  const place = location.value;
  input.location =
    place.kind === 'cloud-region' && place.provider
      ? { cloudRegion: { provider: place.provider.provider, region: (place.row as { region: string }).region } }
      : { country: place.key };
  const intensity = values.intensity === undefined ? undefined : Number(values.intensity);
  if (intensity !== undefined && !(Number.isFinite(intensity) && intensity >= 0)) throw new EstimateUsageError(`--intensity must be a number ≥ 0, not "${values.intensity}"`);
  if (intensity !== undefined) input.location = { ...input.location, gCO2ePerKWh: intensity };
  const pue = values.pue === undefined ? undefined : Number(values.pue);
  if (pue !== undefined && !(Number.isFinite(pue) && pue >= 1)) throw new EstimateUsageError(`--pue must be a number ≥ 1, not "${values.pue}"`);
  if (pue !== undefined) input.pue = pue;
  for (const key of Object.keys(input) as (keyof RunInput)[]) if (input[key] === undefined) delete input[key];

  const result = estimateRun(input, { tables: tables.value });
  if (!result.ok) {
    io.stderr(`green-ai estimate: ${result.problems.map((p) => p.message).join('\n')}\n`);
    return 2;
  }
  const estimate = result.value;
  estimate.assumptions = [...scriptAssumptions, ...estimate.assumptions];
  if (format === 'json') io.stdout(`${JSON.stringify(toJson(estimate, input, fromFiles), null, 2)}\n`);
  else io.stdout(toText(estimate, fromFiles));
  return 0;
}

type FileRun =
  | { kind: 'run'; file: string; input: RunInput; assumptions: Assumption[] }
  | { kind: 'missing'; file: string; missing: MissingInput[] }
  | { kind: 'unreadable' };

/** The run the first training script among the files describes (the first file when none trains). */
async function runOfFiles(files: readonly string[], settings: Settings, io: EstimateIo, countGiven: boolean): Promise<FileRun> {
  const parser = await createPythonParser();
  const shipped = loadTables();
  const tables = shipped.ok ? applyOverrides(shipped.value, settings['carbon.overrides']) : shipped;
  if (!tables.ok) return { kind: 'unreadable' };
  let first: FileRun | null = null;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      io.stderr(`green-ai estimate: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
      return { kind: 'unreadable' };
    }
    const tree = parser.parse(text);
    if (!tree) continue;
    try {
      const context = new AnalysisContext(tree, text, file);
      const facts = context.runFacts();
      // --gpus wins over what the script says.
      const run = runFromFacts(countGiven ? { ...facts, devices: null, hints: { ...facts.hints, devices: undefined } } : facts, settings, tables.value);
      const outcome: FileRun = run.ok ? { kind: 'run', file, input: run.input, assumptions: run.assumptions } : { kind: 'missing', file, missing: run.missing };
      if (facts.trains) return outcome;
      first ??= outcome;
    } finally {
      tree.delete();
    }
  }
  return first ?? { kind: 'unreadable' };
}

const range = (r: Range) => ({ value: r.value, low: r.low, high: r.high });

/** The documented JSON: `{version, energyKWh, co2eKg, waterL, durationHours, inputs, assumptions}`. */
export function toJson(estimate: Estimate, input: RunInput, files: readonly string[]) {
  return {
    version: 1,
    energyKWh: range(estimate.energyKWh),
    co2eKg: {
      operational: estimate.co2eKg.operational.value,
      embodied: estimate.co2eKg.embodied.value,
      total: estimate.co2eKg.total.value,
      low: estimate.co2eKg.total.low,
      high: estimate.co2eKg.total.high,
    },
    waterL: {
      onsite: estimate.waterL.onsite.value,
      offsite: estimate.waterL.offsite.value,
      total: estimate.waterL.total.value,
      low: estimate.waterL.total.low,
      high: estimate.waterL.total.high,
    },
    durationHours: { ...range(estimate.hours.wall), deviceHours: range(estimate.hours.device) },
    inputs: {
      ...input,
      files,
      gpu: { id: estimate.hardware.gpuId, name: estimate.hardware.gpuName },
      location: estimate.location,
      precision: estimate.hardware.precision,
      warnings: estimate.warnings,
    },
    assumptions: estimate.assumptions,
  };
}

function toText(estimate: Estimate, files: readonly string[]): string {
  const span = (r: Range, format: (v: number) => string) => (r.low === r.high ? format(r.value) : `${format(r.value)} (${format(r.low)}–${format(r.high)})`);
  const hours = (h: number) => `${Number(h.toPrecision(3)).toLocaleString('en-US')} h`;
  const lines = [
    `≈ ${formatEnergy(estimate.energyKWh.value)} · ${formatMass(estimate.co2eKg.total.value)} CO2e (${estimate.hardware.count}× ${estimate.hardware.gpuId.toUpperCase()}, ${estimate.location.label})${files.length > 0 ? ` — ${files[0]}` : ''}`,
    `energy     ${span(estimate.energyKWh, formatEnergy)}: GPU ${formatEnergy(estimate.energyBreakdownKWh.gpu.value)}, CPU ${formatEnergy(estimate.energyBreakdownKWh.cpu.value)}, memory ${formatEnergy(estimate.energyBreakdownKWh.ram.value)}, × PUE`,
    `CO2e       ${span(estimate.co2eKg.total, formatMass)}: operational ${formatMass(estimate.co2eKg.operational.value)}, embodied ${formatMass(estimate.co2eKg.embodied.value)}`,
    `water      ${span(estimate.waterL.total, formatVolume)}: on-site ${formatVolume(estimate.waterL.onsite.value)}, off-site ${formatVolume(estimate.waterL.offsite.value)}`,
    `duration   ${hours(estimate.hours.wall.value)} wall-clock, ${hours(estimate.hours.device.value)} on ${estimate.hardware.count} × ${estimate.hardware.gpuName} at ${estimate.hardware.precision}`,
    'assumptions:',
    ...estimate.assumptions.map((a) => {
      const bounds = a.low !== undefined && a.high !== undefined ? ` (${a.low}–${a.high})` : '';
      const source = `${a.source.title}${a.year !== null ? `, ${a.year}` : ''}`;
      return `  ${a.name}: ${a.value}${a.unit ? ` ${a.unit}` : ''}${bounds} — ${source}`;
    }),
    ...estimate.warnings.map((w) => `warning: ${w}`),
  ];
  return `${lines.join('\n')}\n`;
}
