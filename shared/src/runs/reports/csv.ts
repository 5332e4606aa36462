/**
 * Runs as CSV, column-compatible with CodeCarbon's emissions.csv (the 2.x columns, in its order, same units:
 * seconds, kg, kg/s, W, kWh, GB), so that tools reading CodeCarbon output read ours. Where our meaning differs or
 * we have no value, the cell is empty rather than invented; the differences are listed in shared/src/runs/README.md.
 */
import type { RunRecord } from '../schema';
import { gpuModelsOf, sum } from './common';

export const CODECARBON_COLUMNS = [
  'timestamp',
  'project_name',
  'run_id',
  'duration',
  'emissions',
  'emissions_rate',
  'cpu_power',
  'gpu_power',
  'ram_power',
  'cpu_energy',
  'gpu_energy',
  'ram_energy',
  'energy_consumed',
  'country_name',
  'country_iso_code',
  'region',
  'cloud_provider',
  'cloud_region',
  'os',
  'python_version',
  'codecarbon_version',
  'cpu_count',
  'cpu_model',
  'gpu_count',
  'gpu_model',
  'longitude',
  'latitude',
  'ram_total_size',
  'tracking_mode',
  'on_cloud',
  'pue',
] as const;

type Column = (typeof CODECARBON_COLUMNS)[number];

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function rowOf(run: RunRecord): Record<Column, string | number | undefined> {
  const of = (kind: 'cpu' | 'gpu' | 'ram') => run.components.filter((c) => c.kind === kind);
  const energyKWh = (kind: 'cpu' | 'gpu' | 'ram') => sum(of(kind).map((c) => c.energyJ)) / 3_600_000;
  // Average power of a kind: its energy over the run, as CodeCarbon's last-interval power is not kept.
  const power = (kind: 'cpu' | 'gpu' | 'ram') => (of(kind).length === 0 || run.durationS === 0 ? 0 : (energyKWh(kind) * 3_600_000) / run.durationS);
  const cloud = run.location.kind === 'cloud-region';
  const [provider, region] = cloud ? splitOnce(run.location.key, ':') : [undefined, undefined];
  return {
    timestamp: run.endedAt.replace(/\.\d+Z$/, ''),
    project_name: run.label ?? run.command[0],
    run_id: run.id,
    duration: run.durationS,
    emissions: run.co2eKg,
    emissions_rate: run.durationS > 0 ? run.co2eKg / run.durationS : 0,
    cpu_power: power('cpu'),
    gpu_power: power('gpu'),
    ram_power: power('ram'),
    cpu_energy: energyKWh('cpu'),
    gpu_energy: energyKWh('gpu'),
    ram_energy: energyKWh('ram'),
    energy_consumed: run.energy.energyKWh,
    country_name: run.location.kind === 'country' ? run.location.label : undefined,
    country_iso_code: run.location.kind === 'country' ? run.location.key : undefined,
    region: undefined,
    cloud_provider: provider,
    cloud_region: region,
    os: `${run.host.platform}-${run.host.osRelease}-${run.host.arch}`,
    python_version: undefined,
    codecarbon_version: undefined,
    cpu_count: run.hardware.cpuCount,
    cpu_model: run.hardware.cpuModel,
    gpu_count: run.hardware.gpus.length,
    gpu_model: run.hardware.gpus.length > 0 ? gpuModelsOf(run) : undefined,
    longitude: undefined,
    latitude: undefined,
    ram_total_size: Number(run.hardware.ramTotalGB.toFixed(3)),
    tracking_mode: run.components.some((c) => c.attribution === 'process-tree') ? 'process' : 'machine',
    on_cloud: cloud ? 'Y' : 'N',
    pue: run.pue.value,
  };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

export function formatCsv(runs: readonly RunRecord[]): string {
  const lines = [CODECARBON_COLUMNS.join(',')];
  for (const run of runs) {
    const row = rowOf(run);
    lines.push(CODECARBON_COLUMNS.map((column) => csvField(row[column])).join(','));
  }
  return `${lines.join('\n')}\n`;
}
