/** Custom LSP messages between the Green AI server and its clients; both sides validate with these schemas. */
import { z } from 'zod';

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
