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
import type { RuleFinding } from '../rule';

export interface ConfigContext {
  uri: string;
  /** The file's path (or URI path) with forward slashes, for debug-profile gating. */
  path: string;
  file: ConfigFile;
  lines: LineIndex;
  settings: Settings;
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
