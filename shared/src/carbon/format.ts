/** Human-readable summaries of estimates and savings, and everyday equivalents. */
import type { Estimate, Savings, Tables } from './schemas';
import { loadTables } from './tables';

const ENERGY_UNITS: ReadonlyArray<readonly [number, string]> = [
  [1e6, 'GWh'],
  [1e3, 'MWh'],
  [1, 'kWh'],
  [1e-3, 'Wh'],
];
const MASS_UNITS: ReadonlyArray<readonly [number, string]> = [
  [1e3, 't'],
  [1, 'kg'],
  [1e-3, 'g'],
];
const VOLUME_UNITS: ReadonlyArray<readonly [number, string]> = [
  [1e3, 'm³'],
  [1, 'L'],
  [1e-3, 'mL'],
];

/** Two significant figures below 100, whole numbers above: 0.042 → "0.042", 4.13 → "4.1", 433.2 → "433". */
// toLocaleString with options builds a new formatter on every call; the estimate formats thousands of numbers per tree.
const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  const rounded = magnitude >= 100 ? Math.round(value) : Number(value.toPrecision(2));
  return NUMBER_FORMAT.format(rounded);
}

/** A quantity in the largest unit that keeps it ≥ 1: 433196 kWh → "433 MWh". */
export function formatQuantity(value: number, units: ReadonlyArray<readonly [number, string]>): string {
  const magnitude = Math.abs(value);
  const unit = units.find(([scale]) => magnitude >= scale) ?? units[units.length - 1];
  if (!unit) return formatNumber(value);
  const [scale, name] = unit;
  return `${formatNumber(value / scale)} ${name}`;
}

export const formatEnergy = (kWh: number) => formatQuantity(kWh, ENERGY_UNITS);
export const formatMass = (kg: number) => formatQuantity(kg, MASS_UNITS);
export const formatVolume = (litres: number) => formatQuantity(litres, VOLUME_UNITS);

/** The code-lens line: `≈ 41 kWh · 16 kg CO2e on 8×A100 SXM4, us-east-1`. */
export function formatEstimate(estimate: Estimate): string {
  return `≈ ${formatEnergy(estimate.energyKWh.value)} · ${formatMass(estimate.co2eKg.total.value)} CO2e on ${estimate.label}`;
}

/** A longer form with ranges, for hovers: `41 kWh (25–60) · 16 kg CO2e (9–26) · 120 L water`. */
export function formatEstimateDetail(estimate: Estimate): string {
  const r = (range: { value: number; low: number; high: number }, format: (v: number) => string) =>
    range.low === range.high ? format(range.value) : `${format(range.value)} (${format(range.low)}–${format(range.high)})`;
  return [
    r(estimate.energyKWh, formatEnergy),
    `${r(estimate.co2eKg.total, formatMass)} CO2e (operational ${formatMass(estimate.co2eKg.operational.value)}, embodied ${formatMass(estimate.co2eKg.embodied.value)})`,
    `${r(estimate.waterL.total, formatVolume)} water`,
  ].join(' · ');
}

/** `saves ≈ 30 kWh · 12 kg CO2e (−73%)`, or `costs ≈ …` when the change makes the run more expensive. */
export function formatSavings(savings: Savings): string {
  const verb = savings.co2eKg.value >= 0 ? 'saves' : 'costs';
  const sign = savings.co2eKg.value >= 0 ? '−' : '+';
  const percent = Math.round(Math.abs(savings.fraction.co2e) * 100);
  return `${verb} ≈ ${formatEnergy(Math.abs(savings.energyKWh.value))} · ${formatMass(Math.abs(savings.co2eKg.value))} CO2e (${sign}${percent}%)`;
}

export interface Equivalent {
  id: string;
  label: string;
  unit: string;
  amount: number;
  source: { title: string; url?: string | undefined };
  year: number | null;
}

/** Everyday equivalents of a mass of CO2e (km by car, smartphone charges…) from equivalents.json. */
export function equivalentsOf(co2eKg: number, tables?: Tables): Equivalent[] {
  const loaded = tables ? { ok: true as const, value: tables } : loadTables();
  if (!loaded.ok) return [];
  return loaded.value.equivalents.rows.map((row) => ({
    id: row.id,
    label: row.label,
    unit: row.unit,
    amount: co2eKg / row.kgCO2ePerUnit,
    source: row.source,
    year: row.year,
  }));
}
