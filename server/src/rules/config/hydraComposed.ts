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
import type { LineIndex } from '../../configs/positions';
import { literal, numberOf, stringOf, type ConfigEditor, type ConfigScalar } from '../../configs/tree';
import { YamlEditor } from '../../configs/yaml';
import { fileUri, type Job, type JobLaunch } from '../../jobs/graph';
import type { ComposedValue, HydraComposition } from '../../jobs/hydra';
import type { Fix } from '../rule';
import { otherFileEdits, type ConfigContext, type ConfigRuleFinding } from './rule';

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

/**
 * The analysed YAML lies in the config tree of a Hydra app some job composes, but neither a composition of that app
 * nor any launch uses it: an option the launch line does not select (`data=inat_mini` replaces the defaults list's
 * `data: cifar10`), or a group no defaults list names. The run does not use the file, so the config rules that judge
 * composed values say nothing about it alone; a YAML outside every Hydra app keeps its single-file judgement.
 */
export function unselectedHydraOption(context: ConfigContext): boolean {
  const apps = context.jobs.apps ?? [];
  if (context.file.format !== 'yaml' || apps.length === 0) return false;
  if (context.jobs.uses.some((use) => use.config)) return false; // loaded by a launch (a selected option, a literal path)
  return !apps.some(({ composition }) => composition.files.some((file) => fileUri(file.path) === context.uri));
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
  return valueEdit(context.lines, context.file.format === 'shell' ? null : context.file.editor, value, newValue);
}

/** The edit that sets a composed value in the text `lines` (the file that writes it), with `editor` for YAML values. */
function valueEdit(lines: LineIndex, editor: ConfigEditor | null, value: ComposedValue, newValue: string | number | boolean): TextEdit | null {
  const scalar = scalarOf(value);
  if (!scalar) return null;
  if (value.override) {
    const word = value.override;
    if (word.end - word.start !== word.text.length) return null; // quoted: rewrite by hand
    return { range: lines.range(scalar.start, scalar.end), newText: String(newValue) };
  }
  return editor ? editor.setScalar(scalar, newValue) : null;
}

/**
 * A quick fix that sets composed values where each is written: this file's edits, and the other files' (another group
 * file, the launch line) as cross-file edits. Null when one of them cannot be rewritten safely, so that a fix never
 * changes only half of a pair of values that must move together.
 */
export function composedFix(context: ConfigContext, title: string, preferred: boolean, changes: readonly (readonly [ComposedValue, string | number | boolean])[]): Fix | null {
  const edits: TextEdit[] = [];
  const others = new Map<string, { value: ComposedValue; edits: TextEdit[] }>();
  const here = (value: ComposedValue): boolean => setHere(context, value); // not a type guard: both branches keep the value
  for (const [value, newValue] of changes) {
    if (here(value)) {
      const edit = setValueEdit(context, value, newValue);
      if (!edit) return null;
      edits.push(edit);
      continue;
    }
    // Another file's offsets: its own line index, from the text the composition read (codeActions re-checks it).
    const edit = valueEdit(value.file.lines, new YamlEditor(value.file.lines), value, newValue);
    if (!edit) return null;
    const other = others.get(value.file.path) ?? { value, edits: [] };
    other.edits.push(edit);
    others.set(value.file.path, other);
  }
  const otherFiles = [...others.entries()].map(([filePath, other]) => otherFileEdits(filePath, other.value.file.lines, other.edits));
  return { title, preferred, edits, ...(otherFiles.length > 0 ? { otherFiles } : {}) };
}

/** A composed value as written: the YAML source text, or what follows `=` in a launch-line override. */
export function writtenOf(value: ComposedValue): string | undefined {
  const scalar = scalarOf(value);
  if (!scalar) return undefined;
  if (value.override) return value.override.text.slice(value.override.text.indexOf('=') + 1);
  return value.file.text.slice(scalar.start, scalar.end);
}

/** Related information at the place a composed value is set (possibly another file, or the launch line). */
export function setAtRelated(value: ComposedValue, message: string): { uri: string; range: Range; message: string } {
  return { uri: fileUri(value.file.path), range: value.range, message };
}

/**
 * The packages that hold `leaf` in the composition (`training` for `training.per_device_train_batch_size`, '' at the
 * root): a Hydra app puts its TrainingArguments under whatever key its script unpacks.
 */
export function packagesWith(composition: HydraComposition, leaf: string): string[] {
  const found: string[] = [];
  for (const key of composition.values.keys()) {
    if (key === leaf) found.push('');
    else if (key.endsWith(`.${leaf}`)) found.push(key.slice(0, -leaf.length - 1));
  }
  return found;
}

/** The launch of a job that runs this composition (for its process count). */
export function launchOf({ composition, job }: ComposedJob): JobLaunch | undefined {
  return job.launches.find((launch) => launch.hydra === composition);
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
