/** Custom LSP messages between the Green AI server and its clients; both sides validate with these schemas. */
import { z } from 'zod';
import { AssumptionSchema, EstimateSchema } from './carbon/schemas';

/** Server → client after each analysis, for the status bar item. */
export const STATUS_NOTIFICATION = 'greenAI/status';
export const statusParams = z.object({
  state: z.enum(['ready', 'analysing', 'error']),
  uri: z.string().optional(),
  /** Wall time of the last analysis, milliseconds. */
  durationMs: z.number().nonnegative().optional(),
  findings: z.number().int().nonnegative().optional(),
  message: z.string().optional(),
});
export type StatusParams = z.infer<typeof statusParams>;

/** Client command that turns a rule off in the workspace settings (offered as a code action). */
export const DISABLE_RULE_COMMAND = 'greenAI.disableRule';
export const disableRuleArguments = z.tuple([z.string().regex(/^GA\d{3}$/)]);

export const DIAGNOSTIC_SOURCE = 'Green AI';

/**
 * Client command behind the estimate code lens (title `≈ 41 kWh · 16 kg CO2e (8× A100-SXM4-80GB, us-east-1) — assumptions`,
 * or `Green AI: estimate needs <input> — <how>`): shows the detail view. One argument, this payload.
 */
export const SHOW_ESTIMATE_COMMAND = 'greenAI.showEstimate';
const lspRange = z.object({
  start: z.object({ line: z.number().int().nonnegative(), character: z.number().int().nonnegative() }),
  end: z.object({ line: z.number().int().nonnegative(), character: z.number().int().nonnegative() }),
});
const payloadBase = {
  version: z.literal(1),
  /** The document and the range of the training entry point the lens sits on. */
  uri: z.string(),
  range: lspRange,
};
export const showEstimatePayload = z.discriminatedUnion('status', [
  /** The run could be sized: the model's serialised estimate (ranges, breakdown, every assumption with source and year). */
  z.strictObject({ ...payloadBase, status: z.literal('estimate'), estimate: EstimateSchema }),
  /** The run size is unknown: what is missing and how to provide each, plus what was read so far. */
  z.strictObject({
    ...payloadBase,
    status: z.literal('missing'),
    missing: z.array(z.strictObject({ input: z.string(), how: z.string() })).min(1),
    assumptions: z.array(AssumptionSchema),
  }),
  /** The model refused the run (e.g. no peak throughput for the precision); each problem names what to change. */
  z.strictObject({ ...payloadBase, status: z.literal('error'), problems: z.array(z.string()).min(1) }),
]);
export type ShowEstimatePayload = z.infer<typeof showEstimatePayload>;
export const showEstimateArguments = z.tuple([showEstimatePayload]);
