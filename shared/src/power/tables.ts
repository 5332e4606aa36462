/**
 * The power estimate constants (shared/data/power-estimates.json): imported as JSON so the bundles embed them, and
 * validated with zod once. A broken table is reported with the key that is wrong; nothing falls back to a number
 * written in code.
 */
import { z } from 'zod';
import powerEstimatesJson from '../../data/power-estimates.json';
import { TableSourceSchema } from '../carbon/schemas';

export const POWER_ESTIMATE_KEYS = ['cpuWattsPerThread', 'threadsPerCore', 'ramWattsPerGB', 'cpuLoadModel'] as const;
export type PowerEstimateKey = (typeof POWER_ESTIMATE_KEYS)[number];

const RowSchema = z.strictObject({
  key: z.enum(POWER_ESTIMATE_KEYS),
  value: z.number().positive(),
  unit: z.string().min(1),
  note: z.string().optional(),
  source: TableSourceSchema,
  year: z.number().int().min(1990).max(2100),
});
export const PowerEstimateTableSchema = z.strictObject({
  table: z.literal('power-estimates'),
  description: z.string(),
  rows: z.array(RowSchema).min(1),
});
export type PowerEstimateRow = z.infer<typeof RowSchema>;
export type PowerEstimates = Record<PowerEstimateKey, PowerEstimateRow>;

export type TableResult = { ok: true; value: PowerEstimates } | { ok: false; message: string };

/** Validates a power-estimates table (the shipped one, or a test's copy); every key must appear exactly once. */
export function parsePowerEstimates(raw: unknown): TableResult {
  const parsed = PowerEstimateTableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '';
    return { ok: false, message: `shared/data/power-estimates.json: ${where || '(top level)'}: ${issue?.message ?? 'invalid'}` };
  }
  const byKey: Partial<PowerEstimates> = {};
  for (const row of parsed.data.rows) {
    if (byKey[row.key]) return { ok: false, message: `shared/data/power-estimates.json: key ${row.key} appears twice` };
    byKey[row.key] = row;
  }
  const missing = POWER_ESTIMATE_KEYS.filter((key) => !byKey[key]);
  if (missing.length > 0) return { ok: false, message: `shared/data/power-estimates.json: missing key(s) ${missing.join(', ')}` };
  return { ok: true, value: byKey as PowerEstimates };
}

let shipped: TableResult | undefined;

export function loadPowerEstimates(): TableResult {
  shipped ??= parsePowerEstimates(powerEstimatesJson);
  return shipped;
}
