/**
 * The carbon model: energy, CO2e (operational and embodied) and water of a training run, before it
 * starts. Pure and synchronous. Every number comes from a table row, an override or the run input,
 * and is listed in the estimate's assumptions with its source and year.
 *
 *   E_IT  = GPU + CPU + RAM energy = Σ power × utilisation × time
 *   E     = E_IT × PUE
 *   CO2e  = E × grid intensity (location-based)            — operational
 *         + Σ_devices TE × device-hours / (lifespan × fleet utilisation)   — embodied (SCI's M)
 *   water = E_IT × WUE (on-site) + E × EWIF (off-site)
 *
 * Uncertain inputs (GPU and CPU utilisation, MFU, grid intensity, hardware lifespan) carry a low–high
 * range; the model runs once per bound, each input taken at the bound that pushes the output that way.
 */
import { resolveCpu, resolveGpu, resolveLocation, resolveVisionModel, type ResolvedLocation } from './resolve';
import {
  ESTIMATE_SCHEMA_VERSION,
  EstimateSchema,
  RunInputSchema,
  type Assumption,
  type CarbonProblem,
  type DefaultKey,
  type Estimate,
  type GpuRow,
  type Precision,
  type Provenance,
  type Range,
  type Result,
  type Savings,
  type Tables,
} from './schemas';
import { applyOverrides, defaultRow, loadTables } from './tables';

/** Calendar arithmetic (365 × 24), not a measured fact. */
const HOURS_PER_YEAR = 8760;

export interface EstimateOptions {
  /** Tables to use instead of the shipped ones (tests, or tables already patched with overrides). */
  tables?: Tables;
  /** User overrides (validated with `OverridesSchema`), e.g. from the `greenAI.carbon` settings. */
  overrides?: unknown;
}

/** Bounds of an uncertain input. */
interface Bounds {
  value: number;
  low: number;
  high: number;
}
type Scenario = 'value' | 'low' | 'high';

/** The input's value for a scenario; `effect` says whether the output grows ('up') or shrinks ('down') with it. */
function at(bounds: Bounds, scenario: Scenario, effect: 'up' | 'down'): number {
  if (scenario === 'value') return bounds.value;
  return (scenario === 'high') === (effect === 'up') ? bounds.high : bounds.low;
}

const exact = (value: number): Bounds => ({ value, low: value, high: value });
const fromInput = (key: string): Provenance => ({ source: { title: `Run input (${key})` }, year: null });

/** The order in which a precision falls back when the hardware has no peak for it. */
const PRECISION_FALLBACK: Record<Precision, Precision[]> = {
  fp8: ['fp8', 'bf16', 'fp16', 'tf32', 'fp32'],
  bf16: ['bf16', 'fp32'],
  fp16: ['fp16', 'fp32'],
  tf32: ['tf32', 'fp32'],
  fp32: ['fp32'],
};

interface Peak {
  precision: Precision;
  tflops: number;
}

/**
 * What a compute-sized run's device time is computed from: the peak at its precision (with the MFU table), except an
 * FP32 run on hardware with half-precision tensor cores, which is the mixed-precision run's time times the measured
 * speed-up of mixed precision (model-defaults.json `mixedPrecisionSpeedup`) — unless the run gives its own MFU, which
 * is then a fraction of the FP32 peak.
 */
export function throughputBasis(gpu: GpuRow, precision: Precision, givenMfu?: number): { peak: Peak; viaMixedPrecision: boolean } | undefined {
  if (precision === 'fp32' && givenMfu === undefined && (gpu.class === 'datacenter' || gpu.class === 'workstation')) {
    for (const half of ['bf16', 'fp16'] as const) {
      const tflops = gpu.peakTflops[half];
      const fp32 = gpu.peakTflops.fp32;
      if (tflops !== undefined && (fp32 === undefined || tflops > fp32)) return { peak: { precision: half, tflops }, viaMixedPrecision: true };
    }
  }
  const peak = peakFor(gpu, precision);
  return peak ? { peak, viaMixedPrecision: false } : undefined;
}

/** The peak dense TFLOP/s a run at `precision` can use on `gpu`, falling back as PRECISION_FALLBACK says. */
export function peakFor(gpu: GpuRow, precision: Precision): Peak | undefined {
  for (const candidate of PRECISION_FALLBACK[precision]) {
    const tflops = gpu.peakTflops[candidate];
    if (tflops !== undefined) return { precision: candidate, tflops };
  }
  return undefined;
}

export function estimateRun(input: unknown, options: EstimateOptions = {}): Result<Estimate> {
  const base = options.tables ? { ok: true as const, value: options.tables } : loadTables();
  if (!base.ok) return base;
  const patched = applyOverrides(base.value, options.overrides);
  if (!patched.ok) return patched;
  const tables = patched.value;

  const parsed = RunInputSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const path = issue.path.map(String).join('.');
        return { code: 'invalid-input' as const, path, message: `${path || 'run input'}: ${issue.message}` };
      }),
    };
  }
  const run = parsed.data;
  const assumptions: Assumption[] = [];
  const warnings: string[] = [];
  const problems: CarbonProblem[] = [];

  const assume = (name: string, value: number | string, unit: string | undefined, provenance: Provenance, bounds?: Bounds): void => {
    const entry: Assumption = { name, value, source: { title: provenance.source.title }, year: provenance.year };
    if (provenance.source.url) entry.source.url = provenance.source.url;
    if (unit) entry.unit = unit;
    if (bounds && (bounds.low !== bounds.value || bounds.high !== bounds.value)) Object.assign(entry, { low: bounds.low, high: bounds.high });
    if (provenance.note) entry.note = provenance.note;
    assumptions.push(entry);
  };
  const defaults = (key: DefaultKey): { bounds: Bounds; provenance: Provenance; unit: string } => {
    const row = defaultRow(tables, key);
    const note = [row.note, row.rangeSource ? `Range: ${row.rangeSource.title} (${row.rangeSource.url}).` : undefined].filter(Boolean).join(' ');
    return {
      bounds: { value: row.value, low: row.low ?? row.value, high: row.high ?? row.value },
      provenance: { source: row.source, year: row.year, note: note || undefined },
      unit: row.unit,
    };
  };
  const useDefault = (key: DefaultKey, name: string): Bounds => {
    const d = defaults(key);
    assume(name, d.bounds.value, d.unit, d.provenance, d.bounds);
    return d.bounds;
  };

  // --- Hardware ------------------------------------------------------------------------------
  const resolved = resolveGpu(run.hardware.gpu, tables);
  if (!resolved.ok) return resolved;
  const gpu = resolved.value.gpu;
  const count = run.hardware.count;
  if (resolved.value.note) warnings.push(resolved.value.note);
  if (gpu.approximate) warnings.push(`${gpu.name}: figures are approximate${gpu.note ? ` (${gpu.note})` : ''}`);
  const isDatacenter = gpu.class === 'datacenter' || gpu.class === 'tpu';

  let gpuPowerW: Bounds;
  if (run.hardware.powerW !== undefined) {
    gpuPowerW = exact(run.hardware.powerW);
    assume('GPU average power', run.hardware.powerW, 'W per device', fromInput('hardware.powerW'));
  } else if (gpu.tdpW === null) {
    problems.push({
      code: 'missing-data',
      path: 'hardware.powerW',
      message: `no power figure for ${gpu.id} in shared/data/gpus.json${gpu.note ? ` (${gpu.note})` : ''}: give hardware.powerW, or tdpW with overrides.gpus`,
    });
    gpuPowerW = exact(0);
  } else {
    assume(`GPU TDP (${gpu.name})`, gpu.tdpW, 'W per device', { source: gpu.source, year: gpu.year, note: gpu.note });
    const utilisation =
      run.hardware.utilisation !== undefined ? exact(run.hardware.utilisation) : defaults('gpuUtilisation').bounds;
    if (run.hardware.utilisation !== undefined) assume('GPU utilisation', run.hardware.utilisation, 'fraction of TDP', fromInput('hardware.utilisation'));
    else useDefault('gpuUtilisation', 'GPU utilisation');
    gpuPowerW = { value: gpu.tdpW * utilisation.value, low: gpu.tdpW * utilisation.low, high: gpu.tdpW * utilisation.high };
  }

  // --- Time ----------------------------------------------------------------------------------
  const precision: Precision = run.precision ?? 'fp32';
  if (run.precision === undefined) {
    assume('Precision', 'fp32', undefined, { source: { title: 'PyTorch default dtype (torch.float32)', url: 'https://pytorch.org/docs/stable/generated/torch.set_default_dtype.html' }, year: 2024 });
  }
  let deviceHours: (scenario: Scenario) => number = () => 0;
  if (run.duration) {
    if (run.compute) warnings.push('both duration and compute given: using the duration');
    if ('wallHours' in run.duration) {
      const hours = run.duration.wallHours * count;
      assume('Wall-clock time', run.duration.wallHours, 'h', fromInput('duration.wallHours'));
      deviceHours = () => hours;
    } else {
      const hours = run.duration.deviceHours;
      assume('Device-hours', hours, 'device-h', fromInput('duration.deviceHours'));
      deviceHours = () => hours;
    }
  } else if (run.compute) {
    const flops = computeFlops(run.compute, tables, assume, defaults);
    if (!flops.ok) return flops;
    const basis = throughputBasis(gpu, precision, run.mfu);
    const peak = basis?.peak;
    if (!peak) {
      problems.push({
        code: 'missing-data',
        path: 'precision',
        message: `${gpu.id} has no peak throughput for ${precision} or a fallback in shared/data/gpus.json (known: ${Object.keys(gpu.peakTflops).join(', ')}): give another precision, a duration, or peakTflops with overrides.gpus`,
      });
    } else {
      if (peak.precision !== precision && !basis.viaMixedPrecision) {
        warnings.push(`${gpu.name} has no native ${precision} throughput; using its ${peak.precision} peak`);
      }
      assume(`Peak dense throughput (${peak.precision}, ${gpu.name})`, peak.tflops, 'TFLOP/s per device', { source: gpu.source, year: gpu.year, note: gpu.note });
      const mfu = mfuFor(run.mfu, peak.precision, gpu, tables, assume);
      // FP32 on tensor-core hardware: the published figure is the whole-run speed-up of mixed precision over FP32,
      // not an FP32 MFU (the FP32 peak is 8-16x below the tensor-core peak, but a run is not 8-16x slower).
      const slower = basis.viaMixedPrecision ? useDefault('mixedPrecisionSpeedup', `FP32 time over ${peak.precision} mixed-precision time`) : exact(1);
      const flopsValue = flops.value;
      deviceHours = (scenario) => (flopsValue / (peak.tflops * 1e12 * at(mfu, scenario, 'down')) / 3600) * at(slower, scenario, 'up');
    }
  }

  // --- Host CPU and memory ----------------------------------------------------------------------
  let sockets = 0;
  let cpuW = 0;
  let cpuUtilisation = exact(0);
  let ramGB = 0;
  let ramWPerGB = 0;
  if (gpu.class === 'soc' && run.hardware.cpu === undefined && run.hardware.ramGB === undefined) {
    assume('Host CPU and memory', 'included in the package power', undefined, { source: gpu.source, year: gpu.year, note: 'Apple silicon: CPU, GPU and unified memory share one package, whose power is the device power.' });
  } else {
    const cpuInput = run.hardware.cpu;
    if (cpuInput?.sockets !== undefined) {
      sockets = cpuInput.sockets;
      assume('CPU sockets', sockets, 'sockets', fromInput('hardware.cpu.sockets'));
    } else {
      const perGpu = defaults('cpuSocketsPerGpu');
      sockets = Math.ceil(count * perGpu.bounds.value);
      assume('CPU sockets', sockets, 'sockets', { ...perGpu.provenance, note: `ceil(${count} devices × ${perGpu.bounds.value} sockets per device). ${perGpu.provenance.note ?? ''}`.trim() });
    }
    if (sockets > 0) {
      if (cpuInput?.powerW !== undefined) {
        cpuW = cpuInput.powerW;
        assume('CPU power per socket', cpuW, 'W', fromInput('hardware.cpu.powerW'));
      } else {
        const cpu = resolveCpu(cpuInput?.model, gpu.class, tables);
        if (!cpu.ok) return cpu;
        cpuW = cpu.value.tdpW;
        assume(`CPU TDP (${cpu.value.name})`, cpuW, 'W per socket', {
          source: cpu.value.source,
          year: cpu.value.year,
          note: cpuInput?.model ? cpu.value.note : `No CPU given: default host CPU for ${gpu.class} accelerators. ${cpu.value.note ?? ''}`.trim(),
        });
      }
      if (cpuInput?.utilisation !== undefined) {
        cpuUtilisation = exact(cpuInput.utilisation);
        assume('CPU utilisation', cpuInput.utilisation, 'fraction of TDP', fromInput('hardware.cpu.utilisation'));
      } else cpuUtilisation = useDefault('cpuUtilisation', 'CPU utilisation');
    }
    if (run.hardware.ramGB !== undefined) {
      ramGB = run.hardware.ramGB;
      assume('Host memory', ramGB, 'GB', fromInput('hardware.ramGB'));
    } else {
      const perGpu = defaults('hostRamGBPerGpu');
      ramGB = count * perGpu.bounds.value;
      assume('Host memory', ramGB, 'GB', { ...perGpu.provenance, note: `${count} devices × ${perGpu.bounds.value} GB. ${perGpu.provenance.note ?? ''}`.trim() });
    }
    if (ramGB > 0) ramWPerGB = useDefault('ramWattsPerGB', 'Memory power').value;
  }

  // --- Place: grid intensity, PUE, water ------------------------------------------------------
  let location: ResolvedLocation | undefined;
  const where = run.location;
  if (where?.cloudRegion || where?.country || where?.gCO2ePerKWh === undefined) {
    const found = resolveLocation(where?.cloudRegion ? { cloudRegion: where.cloudRegion } : { country: where?.country }, tables);
    if (!found.ok) return found;
    location = found.value;
    if (location.note) warnings.push(location.note);
  }
  let intensity: Bounds;
  if (where?.gCO2ePerKWh !== undefined) {
    intensity = exact(where.gCO2ePerKWh);
    assume('Grid carbon intensity', where.gCO2ePerKWh, 'gCO2e/kWh', fromInput('location.gCO2ePerKWh'));
  } else if (location) {
    const spread = defaults('gridIntensityRelativeUncertainty');
    const v = location.gCO2ePerKWh;
    intensity = { value: v, low: v * (1 - spread.bounds.value), high: v * (1 + spread.bounds.value) };
    assume(`Grid carbon intensity (${location.label})`, v, 'gCO2e/kWh', { source: location.row.source, year: location.row.year, note: location.row.note }, intensity);
    assume('Grid intensity spread', spread.bounds.value, spread.unit, spread.provenance);
  } else intensity = exact(0);
  const provider = location?.provider;

  let pue: number;
  if (run.pue !== undefined) {
    pue = run.pue;
    assume('PUE', pue, 'ratio', fromInput('pue'));
  } else if (provider) {
    pue = provider.pue.value;
    assume(`PUE (${provider.name})`, pue, 'ratio', provider.pue);
  } else {
    pue = useDefault(isDatacenter ? 'pueDatacenter' : 'pueNoDatacenter', isDatacenter ? 'PUE (data centre not known)' : 'PUE (no data centre)').value;
  }

  let wue: number;
  if (run.wue !== undefined) {
    wue = run.wue;
    assume('WUE (on-site water)', wue, 'L/kWh', fromInput('wue'));
  } else if (provider?.wue) {
    wue = provider.wue.value;
    assume(`WUE (on-site water, ${provider.name})`, wue, 'L/kWh', provider.wue);
  } else {
    wue = useDefault(isDatacenter ? 'wueDefault' : 'wueNoDatacenter', 'WUE (on-site water)').value;
  }
  let ewif: number;
  if (run.ewif !== undefined) {
    ewif = run.ewif;
    assume('EWIF (off-site water)', ewif, 'L/kWh', fromInput('ewif'));
  } else ewif = useDefault('ewif', 'EWIF (off-site water)').value;

  // --- Embodied -------------------------------------------------------------------------------
  let embodiedPerDeviceKg = 0;
  let lifespan = exact(1);
  let fleetUtilisation = 1;
  if (run.includeEmbodied) {
    if (gpu.embodiedKgCO2e) {
      embodiedPerDeviceKg = gpu.embodiedKgCO2e.value;
      assume(`Embodied carbon (${gpu.name})`, embodiedPerDeviceKg, 'kgCO2e per device', gpu.embodiedKgCO2e);
    } else {
      embodiedPerDeviceKg = useDefault('acceleratorEmbodiedFallbackKgCO2e', 'Embodied carbon per accelerator (proxy)').value;
      warnings.push(`no manufacturing footprint published for ${gpu.name}: using the A100 figure as a proxy`);
    }
    if (isDatacenter) {
      const server = useDefault('serverEmbodiedKgCO2e', 'Embodied carbon per server').value;
      const perServer = useDefault('gpusPerServer', 'Accelerators per server').value;
      embodiedPerDeviceKg += server / perServer;
    }
    lifespan = useDefault('embodiedLifespanYears', 'Hardware lifespan');
    fleetUtilisation = useDefault('embodiedFleetUtilisation', 'Share of lifespan in use').value;
  }

  if (problems.length > 0) return { ok: false, problems };

  // --- The model, once per scenario -------------------------------------------------------------
  const model = (scenario: Scenario) => {
    const devHours = deviceHours(scenario);
    const wallHours = devHours / count;
    const gpuKWh = (devHours * at(gpuPowerW, scenario, 'up')) / 1000;
    const cpuKWh = (sockets * cpuW * at(cpuUtilisation, scenario, 'up') * wallHours) / 1000;
    const ramKWh = (ramGB * ramWPerGB * wallHours) / 1000;
    const itKWh = gpuKWh + cpuKWh + ramKWh;
    const totalKWh = itKWh * pue;
    const operationalKg = (totalKWh * at(intensity, scenario, 'up')) / 1000;
    const embodiedKg = run.includeEmbodied
      ? (embodiedPerDeviceKg * devHours) / (at(lifespan, scenario, 'down') * HOURS_PER_YEAR * fleetUtilisation)
      : 0;
    const onsiteL = itKWh * wue;
    const offsiteL = totalKWh * ewif;
    return {
      devHours, wallHours, gpuKWh, cpuKWh, ramKWh, itKWh, totalKWh, operationalKg, embodiedKg,
      co2eKg: operationalKg + embodiedKg, onsiteL, offsiteL, waterL: onsiteL + offsiteL,
    };
  };
  const runs = { value: model('value'), low: model('low'), high: model('high') };
  const range = (pick: (r: ReturnType<typeof model>) => number): Range => {
    const values = [pick(runs.low), pick(runs.value), pick(runs.high)];
    return { value: pick(runs.value), low: Math.min(...values), high: Math.max(...values) };
  };

  const locationSummary = location
    ? where?.gCO2ePerKWh !== undefined
      ? { kind: 'given' as const, key: location.key, label: location.label }
      : { kind: location.kind, key: location.key, label: location.label }
    : { kind: 'given' as const, key: 'given', label: `${where?.gCO2ePerKWh ?? 0} gCO2e/kWh` };

  const estimate: Estimate = {
    schemaVersion: ESTIMATE_SCHEMA_VERSION,
    kind: 'green-ai.carbon-estimate',
    label: run.label ?? `${count}×${shortName(gpu)}, ${locationSummary.label}`,
    hardware: { gpuId: gpu.id, gpuName: gpu.name, count, precision },
    location: locationSummary,
    hours: { wall: range((r) => r.wallHours), device: range((r) => r.devHours) },
    energyKWh: range((r) => r.totalKWh),
    energyBreakdownKWh: { gpu: range((r) => r.gpuKWh), cpu: range((r) => r.cpuKWh), ram: range((r) => r.ramKWh), it: range((r) => r.itKWh) },
    co2eKg: { operational: range((r) => r.operationalKg), embodied: range((r) => r.embodiedKg), total: range((r) => r.co2eKg) },
    waterL: { onsite: range((r) => r.onsiteL), offsite: range((r) => r.offsiteL), total: range((r) => r.waterL) },
    assumptions,
    warnings,
  };
  return { ok: true, value: estimate };
}

type Assume = (name: string, value: number | string, unit: string | undefined, provenance: Provenance, bounds?: Bounds) => void;
type Defaults = (key: DefaultKey) => { bounds: Bounds; provenance: Provenance; unit: string };

function computeFlops(
  compute: NonNullable<ReturnType<typeof RunInputSchema.parse>['compute']>,
  tables: Tables,
  assume: Assume,
  defaults: Defaults,
): Result<number> {
  if ('flops' in compute) {
    assume('Training compute', compute.flops, 'FLOPs', fromInput('compute.flops'));
    return { ok: true, value: compute.flops };
  }
  if ('parameters' in compute) {
    const factor = defaults('flopsPerParameterPerToken');
    assume('FLOPs per parameter per token', factor.bounds.value, factor.unit, factor.provenance);
    assume('Parameters × tokens', `${compute.parameters} × ${compute.tokens}`, undefined, fromInput('compute.parameters, compute.tokens'));
    return { ok: true, value: factor.bounds.value * compute.parameters * compute.tokens };
  }
  const model = resolveVisionModel(compute.model, tables);
  if (!model.ok) return model;
  const factor = defaults('trainingFlopsPerForwardMac');
  assume(`Forward pass (${model.value.id}, ${model.value.inputResolution}×${model.value.inputResolution})`, model.value.forwardGMACs, 'GMACs per sample', { source: model.value.source, year: model.value.year, note: model.value.note });
  assume('Training FLOPs per forward multiply-accumulate', factor.bounds.value, factor.unit, factor.provenance);
  assume('Samples × epochs', `${compute.samples} × ${compute.epochs}`, undefined, fromInput('compute.samples, compute.epochs'));
  return { ok: true, value: factor.bounds.value * model.value.forwardGMACs * 1e9 * compute.samples * compute.epochs };
}

/** The MFU table row for a precision on a GPU: its hardware generation's row, else the '*' row. */
export function mfuRow(tables: Tables, precision: Precision, gpu: Pick<GpuRow, 'generation'>): Tables['mfu']['rows'][number] | undefined {
  return (
    tables.mfu.rows.find((r) => r.precision === precision && r.generation === gpu.generation) ??
    tables.mfu.rows.find((r) => r.precision === precision && r.generation === '*')
  );
}

function mfuFor(given: number | undefined, precision: Precision, gpu: GpuRow, tables: Tables, assume: Assume): Bounds {
  if (given !== undefined) {
    assume('MFU', given, 'fraction of peak', fromInput('mfu'));
    return exact(given);
  }
  const row = mfuRow(tables, precision, gpu);
  if (!row) throw new Error(`mfu table has no "*" row for ${precision} (the tables were not validated)`);
  const bounds = { value: row.value, low: row.low, high: row.high };
  const note = [row.note, row.rangeSource ? `Range: ${row.rangeSource.title}.` : undefined].filter(Boolean).join(' ');
  assume(`MFU (${precision}, ${row.generation === '*' ? 'any hardware' : row.generation})`, row.value, 'fraction of peak', { source: row.source, year: row.year, note: note || undefined }, bounds);
  return bounds;
}

/** `A100 SXM4` from `NVIDIA A100 SXM4 80 GB`: no vendor, no memory size, no parenthesis. */
export function shortName(gpu: Pick<GpuRow, 'name'>): string {
  return gpu.name
    .replace(/^(NVIDIA GeForce|NVIDIA|AMD Instinct|AMD|Google Cloud|Apple)\s+/i, '')
    .replace(/\s*\(.*?\)\s*/g, ' ')
    .replace(/\s+\d+\s*GB\b/i, '')
    .trim();
}

/** Same as `estimateRun`, for callers that prefer an exception; the message lists every problem. */
export function estimateRunOrThrow(input: unknown, options: EstimateOptions = {}): Estimate {
  const result = estimateRun(input, options);
  if (result.ok) return result.value;
  throw new CarbonModelError(result.problems);
}

export class CarbonModelError extends Error {
  constructor(readonly problems: CarbonProblem[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'CarbonModelError';
  }
}

/**
 * What changing a run saves: `before − after` for energy, CO2e (total), water and device-hours.
 * Both estimates ran through the same scenarios, so each bound is compared with the same bound.
 */
export function compareRuns(before: Estimate, after: Estimate): Savings {
  const diff = (b: Range, a: Range): Range => {
    const value = b.value - a.value;
    const candidates = [b.low - a.low, b.high - a.high, value];
    return { value, low: Math.min(...candidates), high: Math.max(...candidates) };
  };
  const share = (b: Range, a: Range) => (b.value === 0 ? 0 : (b.value - a.value) / b.value);
  return {
    schemaVersion: ESTIMATE_SCHEMA_VERSION,
    kind: 'green-ai.carbon-savings',
    before: before.label,
    after: after.label,
    energyKWh: diff(before.energyKWh, after.energyKWh),
    co2eKg: diff(before.co2eKg.total, after.co2eKg.total),
    waterL: diff(before.waterL.total, after.waterL.total),
    hours: diff(before.hours.device, after.hours.device),
    fraction: {
      energy: share(before.energyKWh, after.energyKWh),
      co2e: share(before.co2eKg.total, after.co2eKg.total),
      water: share(before.waterL.total, after.waterL.total),
    },
  };
}

/** Parses a serialised estimate (e.g. read back from a run record); errors name the key path. */
export function parseEstimate(json: unknown): Result<Estimate> {
  const parsed = EstimateSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      return { code: 'invalid-input' as const, path, message: `estimate ${path}: ${issue.message}` };
    }),
  };
}
