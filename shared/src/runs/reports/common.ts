/**
 * What every report format shares: the report's input, totals over runs, the deduplicated data sources
 * with their years, and the method/assumption sentences, so that Markdown and HTML say the same thing.
 */
import { formatEnergy, formatMass, formatNumber, formatVolume } from '../../carbon/format';
import type { ComponentSummary, RunRecord, RunSource } from '../schema';

export interface ReportInput {
  runs: RunRecord[];
  /** Folders that could not be read, with the reason naming the file and key. */
  problems: Array<{ dir: string; problem: string }>;
  generatedAt: Date;
  version: string;
  /** What was reported on (a runs folder or one run folder), as given. */
  scope: string;
}

export interface Totals {
  runs: number;
  durationS: number;
  energyKWh: number;
  facilityEnergyKWh: number;
  co2eKg: number;
  /** Embodied CO2e of the runs that have a figure, and how many do. */
  embodiedKg: number;
  embodiedRuns: number;
  waterL: number;
  byStatus: Record<string, number>;
}

export function totalsOf(runs: readonly RunRecord[]): Totals {
  const byStatus: Record<string, number> = {};
  for (const run of runs) byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
  return {
    runs: runs.length,
    durationS: sum(runs.map((r) => r.durationS)),
    energyKWh: sum(runs.map((r) => r.energy.energyKWh)),
    facilityEnergyKWh: sum(runs.map((r) => r.facilityEnergyKWh)),
    co2eKg: sum(runs.map((r) => r.co2eKg)),
    embodiedKg: sum(runs.map((r) => r.embodied?.co2eKg ?? 0)),
    embodiedRuns: runs.filter((r) => typeof r.embodied?.co2eKg === 'number').length,
    waterL: sum(runs.map((r) => r.water.liters)),
    byStatus,
  };
}

/**
 * How the IT energy total was obtained, for its label: "measured" only when every component had a meter, "estimated"
 * when none had, else the metered share, so that a report never calls a modelled number measured.
 */
export function energyBasis(runs: readonly RunRecord[]): string {
  const components = runs.flatMap((run) => run.components);
  const metered = sum(components.filter((c) => c.method !== 'estimated').map((c) => c.energyJ));
  const total = sum(components.map((c) => c.energyJ));
  if (components.length === 0 || total === 0) return components.some((c) => c.method !== 'estimated') ? 'measured' : 'estimated';
  if (metered === total) return 'measured';
  if (metered === 0) return 'estimated: no power meter';
  return `${Math.round((metered / total) * 100)}% measured, the rest estimated`;
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export interface SourceUse {
  what: string;
  source: RunSource;
}

/** Every table value the runs used, once per (what, source, year). */
export function sourcesOf(runs: readonly RunRecord[]): SourceUse[] {
  const seen = new Map<string, SourceUse>();
  const add = (what: string, source: RunSource) => {
    const key = `${what}|${source.title}|${source.year ?? ''}`;
    if (!seen.has(key)) seen.set(key, { what, source });
  };
  for (const run of runs) {
    add(`grid intensity, ${run.location.label} (${formatNumber(run.intensity.gCO2ePerKWh)} gCO2e/kWh)`, run.intensity.source);
    add(`PUE ${run.pue.value}`, run.pue.source);
    const [wue, ewif] = run.water.sources;
    if (wue) add(`WUE, on-site water (${formatNumber(run.water.wueLPerKWh)} L/kWh)`, wue);
    if (ewif) add(`EWIF, off-site water (${formatNumber(run.water.ewifLPerKWh)} L/kWh)`, ewif);
    if (run.embodied && run.embodied.co2eKg !== null) for (const { what, source } of run.embodied.sources) add(`embodied: ${what}`, source);
  }
  return [...seen.values()];
}

/** The sentences a reviewer needs to judge the numbers. */
export const METHOD_NOTES: readonly string[] = [
  'Energy is measured, not estimated, wherever the machine offers a meter: NVIDIA GPUs through NVML or nvidia-smi, CPU packages and DRAM through RAPL (powercap energy counters). Components without a meter are modelled (load × TDP, W per GB) and marked "estimated". Each component row names its method.',
  'Energy is integrated from the sampler: counter differences for energy counters, the trapezoid rule over power readings otherwise. Coverage is the share of the run covered by samples no more than three sampling periods apart; gaps are not filled in.',
  'On a GPU that other processes used during the run, the job is attributed the GPU energy times its share of the GPU memory used by compute processes at each sample (process-tree attribution). Otherwise the whole device\'s energy is counted ("whole device").',
  'The idle baseline is measured for a few seconds before launch; above-idle energy is each component\'s energy minus its idle power over the run.',
  'Facility energy = IT energy × PUE. CO2e = facility energy × the location-based grid intensity (operational emissions, as CodeCarbon reports them).',
  "Embodied CO2e, reported beside it, is the accelerators' manufacturing footprint (device plus its share of the server) amortised over the hardware's lifespan for the run's wall time, by the same tables and formula as Green AI's estimates (SCI's M term); a CPU-only machine has none in the tables.",
  'Water = IT energy × WUE (on-site cooling) + facility energy × EWIF (off-site, electricity generation).',
  'Runs marked "incomplete" were finalised from the samples on disk after the recorder stopped (runner killed, machine stopped): they cover the job up to the last sample.',
];

export const kWh = (value: number) => formatEnergy(value);
export const kg = (value: number) => formatMass(value);
export const liters = (value: number) => formatVolume(value);

export function duration(seconds: number): string {
  if (seconds < 60) return `${formatNumber(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

export function watts(value: number | null): string {
  return value === null ? '—' : `${formatNumber(value)} W`;
}

export function componentEnergyKWh(component: ComponentSummary): number {
  return component.energyJ / 3_600_000;
}

export function exitOf(run: RunRecord): string {
  if (run.signal) return run.signal;
  return run.exitCode === null ? '—' : String(run.exitCode);
}

export function sourceText(source: RunSource): string {
  return `${source.title}${source.year !== null ? ` (${source.year})` : ''}`;
}

/** "2 × NVIDIA A100-SXM4-80GB" — identical names grouped. */
export function gpuModelsOf(run: RunRecord): string {
  const counts = new Map<string, number>();
  for (const gpu of run.hardware.gpus) counts.set(gpu.name, (counts.get(gpu.name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${n} x ${name}`).join(', ');
}

export function estimateText(run: RunRecord): string {
  if (!run.estimate) return '—';
  const diff = run.estimate.differencePercent;
  return `${kWh(run.estimate.energyKWh)}${diff !== null ? ` (measured ${diff >= 0 ? '+' : ''}${Math.round(diff)}%)` : ''}`;
}

/** `0.021 g (2× A100 SXM4 for 1.00 h: …)` or `not included: <reason>`; `not computed` for records older than the field. */
export function embodiedText(run: RunRecord): string {
  if (!run.embodied) return 'not computed (recorded before green-ai reported it)';
  if (run.embodied.co2eKg === null) return `not included: ${run.embodied.reason}`;
  return `${kg(run.embodied.co2eKg)} (${[run.embodied.basis, ...run.embodied.warnings].join('; ')})`;
}
