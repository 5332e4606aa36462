/**
 * The config rules' view of a Hydra job (jobs/hydra.ts): when the analysed file is part of the effective config of a
 * Hydra app some job runs — its primary config, a selected group file, or the batch script whose launch line overrides
 * values — the rules judge the composed value instead of the file alone, and a finding is reported by the file that
 * sets the effective value (with related information to the defaults entry that selected it). Each file reports only
 * what it sets, so a finding shows once, in the file to edit. A file whose editor text is not the text the job graph
 * composed (mid-rebuild) gets nothing from here rather than misplaced ranges.
 */
import type { Range, TextEdit } from 'vscode-languageserver-types';
import { TRAINER_KEYS } from '../../configs/kinds';
import { literal, numberOf, stringOf, type ConfigScalar } from '../../configs/tree';
import { fileUri, type Job } from '../../jobs/graph';
import type { ComposedValue, HydraComposition } from '../../jobs/hydra';
import type { ConfigContext, ConfigRuleFinding } from './rule';

export interface ComposedJob {
  composition: HydraComposition;
  job: Job;
}

/** The Hydra compositions this file takes part in (empty: judge the file alone). */
export function compositionsOf(context: ConfigContext): ComposedJob[] {
  const found: ComposedJob[] = [];
  const seen = new Set<HydraComposition>();
  const add = (job: Job, composition: HydraComposition | undefined) => {
    if (!composition || seen.has(composition)) return;
    seen.add(composition);
    found.push({ composition, job });
  };
  for (const use of context.jobs.uses) {
    const composition = use.launch.hydra;
    if (composition?.files.some((file) => fileUri(file.path) === context.uri)) add(use.job, composition);
  }
  const scheduled = context.jobs.scheduled;
  if (scheduled && scheduled.uri === context.uri) for (const launch of scheduled.launches) add(scheduled, launch.hydra);
  return found;
}

/** Whether a composed value is set in the analysed file, in the text the composition saw. */
export function setHere(context: ConfigContext, value: ComposedValue | undefined): value is ComposedValue {
  return !!value && fileUri(value.file.path) === context.uri && value.file.text === context.lines.text;
}

export function scalarOf(value: ComposedValue | undefined): ConfigScalar | undefined {
  return value?.node?.type === 'scalar' ? value.node : undefined;
}

/** The composition has a Lightning trainer (`trainer.<Trainer argument>` or a Lightning `_target_`). */
export function hasTrainer(composition: HydraComposition): boolean {
  for (const key of composition.values.keys()) {
    const match = /^trainer\.([^.]+)$/.exec(key);
    if (match && TRAINER_KEYS.has(match[1]!)) return true;
  }
  return /(^|\.)Trainer$/.test(stringOf(scalarOf(composition.values.get('trainer._target_'))) ?? '');
}

/** Replaces a composed scalar's value where it is written: a YAML edit, or the value part of a launch-line override. */
export function setValueEdit(context: ConfigContext, value: ComposedValue, newValue: string | number | boolean): TextEdit | null {
  const scalar = scalarOf(value);
  if (!scalar) return null;
  if (value.override) {
    const word = value.override;
    if (word.end - word.start !== word.text.length) return null; // quoted: rewrite by hand
    return { range: context.lines.range(scalar.start, scalar.end), newText: String(newValue) };
  }
  return context.file.format === 'shell' ? null : context.file.editor.setScalar(scalar, newValue);
}

/** Related information: how this file's value reached the run (the defaults entry that selected the file). */
export function viaRelated(value: ComposedValue): { uri: string; range: Range; message: string }[] {
  const via = 'via' in value.file ? value.file.via : undefined;
  return via ? [{ uri: fileUri(via.path), range: via.range, message: `selected for the run by \`${via.text}\` here` }] : [];
}

/** Related information pointing at a launch-line override that decides another value. */
export function overrideRelated(value: ComposedValue, message: string): { uri: string; range: Range; message: string }[] {
  return value.override ? [{ uri: fileUri(value.file.path), range: value.range, message }] : [];
}

/** Findings of one rule over every composition, deduplicated by place and message (several jobs may run one config). */
export function composedFindings(context: ConfigContext, judge: (composed: ComposedJob) => ConfigRuleFinding[]): ConfigRuleFinding[] {
  const seen = new Set<string>();
  const out: ConfigRuleFinding[] = [];
  for (const composed of compositionsOf(context)) {
    for (const finding of judge(composed)) {
      const key = `${finding.range.start.line}:${finding.range.start.character}:${finding.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(finding);
    }
  }
  return out;
}

export function literalOf(value: ComposedValue | undefined): string | number | boolean | null | undefined {
  return literal(scalarOf(value));
}

export { numberOf };
