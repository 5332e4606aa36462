/**
 * The contract of a config rule: the same metadata (id, docs, severity setting) as the Python rule of that id, and
 * a detector over a config file instead of a Python tree. GA701/GA702 exist only here.
 */
import type { RuleMeta } from '../../../../shared/src/ruleMeta';
import type { Settings } from '../../../../shared/src/settings';
import type { ConfigFile } from '../../configs/configFile';
import type { TrainingConfig } from '../../configs/kinds';
import type { ConfigEditor } from '../../configs/tree';
import type { LineIndex } from '../../configs/positions';
import type { JobScript } from '../../configs/slurm';
import type { TextEdit } from 'vscode-languageserver-types';
import { fileUri, worldSize, type JobUse, type JobView } from '../../jobs/graph';
import type { OtherFileEdits, RuleFinding } from '../rule';

export interface ConfigContext {
  uri: string;
  /** The file's path (or URI path) with forward slashes, for debug-profile gating. */
  path: string;
  file: ConfigFile;
  lines: LineIndex;
  settings: Settings;
  /** The job graph around this file: the job it schedules, the jobs that launch or load it (empty without a graph). */
  jobs: JobView;
}

export interface ConfigRuleFinding extends RuleFinding {
  /** The finding depends on something the analyser cannot see (an entry script it did not read): at most information. */
  uncertain?: boolean;
}

export interface ConfigRule {
  meta: RuleMeta;
  check(context: ConfigContext): ConfigRuleFinding[];
}

/** The recognised training configs of a YAML/JSON file with their editor (none for scripts or unrecognised files). */
export function trainingConfigs(context: ConfigContext): { configs: TrainingConfig[]; editor: ConfigEditor | null } {
  return context.file.format === 'shell' ? { configs: [], editor: null } : { configs: context.file.configs, editor: context.file.editor };
}

export function jobScript(context: ConfigContext): JobScript | null {
  return context.file.format === 'shell' ? context.file.job : null;
}

/** Debug and profiling profiles (a `debug/` config group, names with `debug` or `profil`) are meant to be slow. */
export function isDebugProfile(path: string): boolean {
  return /(^|\/)debug\//i.test(path) || /(debug|profil)[^/]*$/i.test(path);
}

/** The world sizes of the jobs that load this config (empty without a job graph, or when no launch size is known). */
export function jobWorldSizes(context: ConfigContext): { size: number; use: JobUse }[] {
  return context.jobs.uses.flatMap((use) => {
    if (!use.config) return [];
    const size = worldSize(use.job, use.launch);
    return size === undefined ? [] : [{ size, use }];
  });
}

/** Related information pointing at the launch line of the job that loads this config. */
export function launchRelated(use: JobUse, message: string): { uri: string; range: import('vscode-languageserver-types').Range; message: string } {
  const command = use.launch.launch.command;
  return { uri: fileUri(use.job.path), range: use.job.lines.range(command.start, command.end), message };
}

/**
 * Whether a job that runs this config sets one of these keys on its launch line, after the entry script: a Hydra
 * override (`trainer.max_epochs=40`, `+trainer.max_time=...`) or a Lightning CLI flag (`--trainer.max_epochs 40`,
 * `--trainer.precision=bf16-mixed`). `pattern` is tested against the dotted key.
 */
export function setOnLaunchLine(context: ConfigContext, pattern: RegExp): boolean {
  return context.jobs.uses.some((use) => {
    if (!use.config) return false;
    const words = use.launch.launch.command.words;
    const entry = use.launch.launch.entry;
    const from = entry ? words.findIndex((w) => w.start === entry.start) + 1 : 0;
    return words.slice(from).some((word) => {
      const key = /^(?:\+{1,2}|--)?([A-Za-z_][\w.]*)(?:=|$)/.exec(word.text)?.[1];
      return key !== undefined && pattern.test(key);
    });
  });
}

/** Edits of another file of the job (the text they were computed on is `lines`): a cross-file quick fix. */
export function otherFileEdits(filePath: string, lines: LineIndex, edits: TextEdit[]): OtherFileEdits {
  return { uri: fileUri(filePath), edits, expected: edits.map((edit) => lines.text.slice(lines.offset(edit.range.start), lines.offset(edit.range.end))) };
}
