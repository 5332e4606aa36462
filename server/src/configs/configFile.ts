/**
 * One config file read once per analysis: the format from the editor's language id or the file name, the parse
 * (YAML, JSON/JSONC, or a job script), the recognised training configs, and the editor for its quick fixes.
 * YAML/JSON without any word a training config must contain is not parsed at all (and so gets no parse note either).
 */
import { JsonEditor, parseJson } from './json';
import { mayBeTrainingConfig, recognise, type TrainingConfig } from './kinds';
import { LineIndex } from './positions';
import { hasSbatchDirectives, parseJobScript, type JobScript } from './slurm';
import type { ConfigEditor } from './tree';
import { parseYaml, YamlEditor, type ParseProblem } from './yaml';

export type ConfigFormat = 'yaml' | 'json' | 'shell';

const BY_LANGUAGE: Record<string, ConfigFormat> = { yaml: 'yaml', json: 'json', jsonc: 'json', shellscript: 'shell', slurm: 'shell' };
const BY_EXTENSION: Record<string, ConfigFormat> = { yaml: 'yaml', yml: 'yaml', json: 'json', jsonc: 'json', sh: 'shell', bash: 'shell', sbatch: 'shell', slurm: 'shell' };

/** The config format of a document, from its language id (editor) or its file name (CLI); null for anything else. */
export function configFormatOf(languageId: string | undefined, fileName: string): ConfigFormat | null {
  if (languageId && BY_LANGUAGE[languageId]) return BY_LANGUAGE[languageId]!;
  if (languageId && languageId !== 'plaintext') return null;
  const extension = /\.([A-Za-z]+)$/.exec(fileName)?.[1]?.toLowerCase();
  return extension ? (BY_EXTENSION[extension] ?? null) : null;
}

export type ConfigFile =
  | { format: 'yaml' | 'json'; lines: LineIndex; problem: ParseProblem | null; configs: TrainingConfig[]; editor: ConfigEditor }
  | { format: 'shell'; lines: LineIndex; problem: null; job: JobScript | null };

export function readConfigFile(text: string, format: ConfigFormat): ConfigFile {
  const lines = new LineIndex(text);
  if (format === 'shell') return { format, lines, problem: null, job: hasSbatchDirectives(text) ? parseJobScript(text) : null };
  if (!mayBeTrainingConfig(text)) return { format, lines, problem: null, configs: [], editor: format === 'yaml' ? new YamlEditor(lines) : new JsonEditor(lines) };
  const parsed = format === 'yaml' ? parseYaml(text) : parseJson(text);
  const configs = parsed.documents.flatMap((document) => recognise(document.root) ?? []);
  return { format, lines, problem: parsed.problem, configs, editor: format === 'yaml' ? new YamlEditor(lines) : new JsonEditor(lines) };
}
