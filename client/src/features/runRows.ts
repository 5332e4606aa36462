/**
 * How a recorded run reads in the editor, without vscode so that it is unit-tested: the Runs view's row texts,
 * the "measured … last run (estimate was …)" lens title, which run is the latest of a script, the side-by-side
 * comparison of two runs (Markdown) and the energy-per-run chart (inline SVG for the report webview).
 */
import path from 'node:path';
import { formatEnergy, formatMass, formatNumber } from '../../../shared/src/carbon/format';
import type { RunRecord, RunSummary } from '../../../shared/src/runs/schema';

/** Whether a run's energy comes from meters (NVML, RAPL…), from the model (load × TDP), or from both. */
export type MeasurementKind = 'measured' | 'estimated' | 'partly measured' | 'no readings';

export function measurementKind(record: Pick<RunRecord, 'components'>): MeasurementKind {
  const withEnergy = record.components.filter((component) => component.samples > 0);
  if (withEnergy.length === 0) return 'no readings';
  const estimated = withEnergy.filter((component) => component.method === 'estimated').length;
  if (estimated === 0) return 'measured';
  return estimated === withEnergy.length ? 'estimated' : 'partly measured';
}

/** "1 h 02 min", "3 min 05 s", "42 s". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const pad = (value: number) => String(value).padStart(2, '0');
  if (hours > 0) return `${hours} h ${pad(minutes)} min`;
  if (minutes > 0) return `${minutes} min ${pad(secs)} s`;
  return `${secs} s`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago"; an absolute date beyond a week. */
export function formatWhen(iso: string, now: Date): string {
  const then = new Date(iso);
  const seconds = (now.getTime() - then.getTime()) / 1000;
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  if (seconds < 7 * 86_400) return `${Math.floor(seconds / 86_400)} day${seconds < 2 * 86_400 ? '' : 's'} ago`;
  return then.toISOString().slice(0, 10);
}

export interface RunRow {
  label: string;
  description: string;
  tooltip: string;
  /** Codicon id for the row's icon. */
  icon: 'pass' | 'error' | 'debug-pause' | 'sync' | 'warning' | 'circle-outline';
}

/** The Runs view's row for a run: its label, then when · duration · kWh · kg CO2e · measured/estimated. */
export function runRow(summary: RunSummary, record: RunRecord | undefined, now: Date): RunRow {
  const label = summary.label ?? summary.id;
  if (summary.status === 'unreadable') {
    return { label, description: 'unreadable', tooltip: summary.problem ?? 'the run folder could not be read', icon: 'warning' };
  }
  const parts: string[] = [];
  if (summary.startedAt) parts.push(formatWhen(summary.startedAt, now));
  if (summary.durationS !== undefined) parts.push(formatDuration(summary.durationS));
  if (summary.energyKWh !== undefined) parts.push(formatEnergy(summary.energyKWh));
  if (summary.co2eKg !== undefined) parts.push(`${formatMass(summary.co2eKg)} CO2e`);
  if (record) parts.push(measurementKind(record));
  if (summary.status !== 'completed') parts.push(statusText(summary));
  const tooltip = [
    `${label} — ${statusText(summary)}`,
    summary.command.length > 0 ? `$ ${summary.command.join(' ')}` : undefined,
    summary.startedAt ? `started ${summary.startedAt}` : undefined,
    record ? `energy ${formatEnergy(record.energy.energyKWh)} (IT), ${formatEnergy(record.facilityEnergyKWh)} with PUE ${formatNumber(record.pue.value)}` : undefined,
    record ? `${formatMass(record.co2eKg)} CO2e at ${formatNumber(record.intensity.gCO2ePerKWh)} g/kWh (${record.location.label})` : undefined,
    record ? `readings: ${measurementKind(record)} — ${record.components.map((c) => `${c.name}: ${c.source}`).join('; ')}` : undefined,
    summary.finalized ? undefined : 'no run.json yet: figures finalised from the samples so far',
    summary.dir,
  ].filter((line): line is string => line !== undefined);
  return { label, description: parts.join(' · '), tooltip: tooltip.join('\n'), icon: iconOf(summary) };
}

function statusText(summary: RunSummary): string {
  switch (summary.status) {
    case 'completed':
      return 'completed';
    case 'failed':
      return summary.exitCode === null || summary.exitCode === undefined ? 'failed' : `failed (exit ${summary.exitCode})`;
    default:
      return summary.status;
  }
}

function iconOf(summary: RunSummary): RunRow['icon'] {
  switch (summary.status) {
    case 'completed':
      return 'pass';
    case 'failed':
      return 'error';
    case 'interrupted':
      return 'debug-pause';
    case 'running':
      return 'sync';
    case 'unreadable':
      return 'warning';
    default:
      return 'circle-outline';
  }
}

/** Whether `record` ran `scriptPath`: an argument of its command that resolves (against the run's cwd) to the script. */
export function ranScript(record: Pick<RunRecord, 'command' | 'cwd'>, scriptPath: string): boolean {
  const target = path.resolve(scriptPath);
  return record.command.some((argument) => argument.endsWith('.py') && path.resolve(record.cwd, argument) === target);
}

/** The most recent finished run of a script (records in any order); running and unreadable runs are skipped. */
export function latestRunOf<T extends Pick<RunRecord, 'command' | 'cwd' | 'startedAt'>>(records: readonly T[], scriptPath: string): T | undefined {
  return records
    .filter((record) => ranScript(record, scriptPath))
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt))[0];
}

/**
 * The calibration lens: "measured 3.1 kWh last run (estimate was 2.6 kWh)". Facility energy (IT × PUE) is
 * what the estimate predicts and what the recorder compares it with. A run without any power meter says its
 * figure is modelled rather than calling it measured.
 */
export function calibrationTitle(record: Pick<RunRecord, 'facilityEnergyKWh' | 'estimate' | 'status' | 'exitCode' | 'components'>): string {
  const kind = measurementKind(record);
  const energy = formatEnergy(record.facilityEnergyKWh);
  const head = kind === 'measured' || kind === 'partly measured' ? `measured ${energy} last run` : `last run ${energy} (${kind === 'estimated' ? 'modelled: no power meter' : 'no readings'})`;
  const status = record.status === 'completed' ? '' : ` (${record.status}${record.exitCode ? `, exit ${record.exitCode}` : ''})`;
  const estimate = record.estimate ? ` (estimate was ${formatEnergy(record.estimate.energyKWh)})` : '';
  return `${head}${status}${estimate}`;
}

/** Names that tell two runs apart: their labels, or their ids (start time + label) when the labels are the same. */
export function distinctNames(a: Pick<RunRecord, 'label' | 'id'>, b: Pick<RunRecord, 'label' | 'id'>): [string, string] {
  const labelA = a.label ?? a.id;
  const labelB = b.label ?? b.id;
  return labelA === labelB ? [a.id, b.id] : [labelA, labelB];
}

function embodiedCell(record: RunRecord): string {
  if (!record.embodied) return 'not computed';
  return record.embodied.co2eKg === null ? 'none in the tables' : formatMass(record.embodied.co2eKg);
}

/** Two runs side by side as a Markdown table, with the change from the first to the second. */
export function compareMarkdown(a: RunRecord, b: RunRecord): string {
  const [nameA, nameB] = distinctNames(a, b);
  const name = (record: RunRecord) => (record === a ? nameA : nameB);
  const change = (x: number, y: number) => (x === 0 ? '—' : `${y >= x ? '+' : '−'}${formatNumber(Math.abs(((y - x) / x) * 100))}%`);
  const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows: Array<[string, string, string, string]> = [
    ['command', `\`${escape(a.command.join(' '))}\``, `\`${escape(b.command.join(' '))}\``, ''],
    ['started', a.startedAt, b.startedAt, ''],
    ['status', a.status, b.status, ''],
    ['duration', formatDuration(a.durationS), formatDuration(b.durationS), change(a.durationS, b.durationS)],
    ['energy (IT)', formatEnergy(a.energy.energyKWh), formatEnergy(b.energy.energyKWh), change(a.energy.energyKWh, b.energy.energyKWh)],
    ['energy with PUE', formatEnergy(a.facilityEnergyKWh), formatEnergy(b.facilityEnergyKWh), change(a.facilityEnergyKWh, b.facilityEnergyKWh)],
    ['CO2e', formatMass(a.co2eKg), formatMass(b.co2eKg), change(a.co2eKg, b.co2eKg)],
    ['embodied CO2e (GPUs)', embodiedCell(a), embodiedCell(b), typeof a.embodied?.co2eKg === 'number' && typeof b.embodied?.co2eKg === 'number' ? change(a.embodied.co2eKg, b.embodied.co2eKg) : ''],
    ['average power', a.energy.averageW === null ? '—' : `${formatNumber(a.energy.averageW)} W`, b.energy.averageW === null ? '—' : `${formatNumber(b.energy.averageW)} W`, ''],
    ['readings', measurementKind(a), measurementKind(b), ''],
    ['grid intensity', `${formatNumber(a.intensity.gCO2ePerKWh)} g/kWh (${escape(a.location.label)})`, `${formatNumber(b.intensity.gCO2ePerKWh)} g/kWh (${escape(b.location.label)})`, ''],
    ['GPUs', escape(a.hardware.gpus.map((g) => g.name).join(', ') || 'none'), escape(b.hardware.gpus.map((g) => g.name).join(', ') || 'none'), ''],
    ['estimate before the run', a.estimate ? formatEnergy(a.estimate.energyKWh) : '—', b.estimate ? formatEnergy(b.estimate.energyKWh) : '—', ''],
  ];
  return [
    `# Green AI: ${escape(name(a))} vs ${escape(name(b))}`,
    '',
    `| | ${escape(name(a))} | ${escape(name(b))} | change |`,
    '|---|---|---|---|',
    ...rows.map(([key, x, y, delta]) => `| ${key} | ${x} | ${y} | ${delta} |`),
    '',
    'Energy (IT) is what the meters attribute to the job; with PUE it includes the data centre overhead that CO2e is computed from.',
    '',
  ].join('\n');
}

export interface ChartPoint {
  label: string;
  energyKWh: number;
  /** Highlighted bar (the run the report is about). */
  current?: boolean;
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * A horizontal bar chart of energy per run, oldest first, as inline SVG. Colours are VS Code theme variables
 * (set through CSS classes by the page), so the chart follows the theme and needs no script.
 */
export function energyChartSvg(points: readonly ChartPoint[]): string {
  const barHeight = 18;
  const gap = 6;
  const labelWidth = 220;
  const valueWidth = 90;
  const chartWidth = 360;
  const width = labelWidth + chartWidth + valueWidth;
  const height = Math.max(1, points.length) * (barHeight + gap) + gap;
  const max = Math.max(...points.map((p) => p.energyKWh), 0);
  const bars = points.map((point, index) => {
    const y = gap + index * (barHeight + gap);
    const length = max > 0 ? Math.max(1, (point.energyKWh / max) * chartWidth) : 1;
    const cls = point.current ? 'bar current' : 'bar';
    return [
      `<text class="label" x="${labelWidth - 8}" y="${y + barHeight - 5}" text-anchor="end">${escapeXml(point.label)}</text>`,
      `<rect class="${cls}" x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}"><title>${escapeXml(`${point.label}: ${formatEnergy(point.energyKWh)}`)}</title></rect>`,
      `<text class="value" x="${(labelWidth + length + 6).toFixed(1)}" y="${y + barHeight - 5}">${escapeXml(formatEnergy(point.energyKWh))}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="energy-chart" role="img" aria-label="Energy per run" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars.join('')}</svg>`;
}
