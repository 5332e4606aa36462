/**
 * `LightningCLI(trainer_defaults={...})`: the Trainer arguments a LightningCLI script runs with unless a launch
 * overrides them. Rules that judge those defaults (GA101 precision, GA601 budget, GA602 early stopping) read them here,
 * and only when the defaults are what a launch gets: not when the call passes `args=` or `default_config_files` (a
 * config file or fixed arguments may then set anything), and not when the dict cannot be read literally.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from './context';
import { calleeMethod, keywordArgument, keywordValue } from './syntax';

export interface LightningCliDefaults {
  /** The `trainer_defaults=…` keyword argument (where a finding about the whole dict goes). */
  argument: Node;
  /** The dict expression. */
  dict: Node;
  /** Its entries by key: the value nodes. */
  keys: Map<string, Node>;
}

/** The file's `LightningCLI(...)` calls (from `lightning` or `pytorch_lightning`). */
export function lightningCliCalls(context: AnalysisContext): Node[] {
  if (!context.text.includes('LightningCLI')) return [];
  return context.calls().filter((call) => calleeMethod(call) === 'LightningCLI' && /^(lightning|pytorch_lightning)\b/.test(context.qualifiedCallee(call) ?? ''));
}

export function lightningCliDefaults(context: AnalysisContext, cli: Node): LightningCliDefaults | null {
  if (keywordArgument(cli, 'args')) return null;
  const parserKwargs = keywordValue(cli, 'parser_kwargs');
  if (parserKwargs && /default_config_files/.test(parserKwargs.text)) return null;
  const argument = keywordArgument(cli, 'trainer_defaults');
  const dict = argument?.childForFieldName('value');
  if (!argument || !dict) return null;
  const keys = context.values().dictionaryKeys(dict);
  return keys ? { argument, dict, keys } : null;
}
