/**
 * The project's Green AI configuration: `[tool.green-ai]` in pyproject.toml, or a `.green-ai.toml` (same keys at its
 * top level) for repositories without one. The nearest such file above a source file applies to it. Keys mirror the
 * `greenAI.*` settings and are validated by the same schema (shared/src/settings.ts); every problem carries the range
 * of the offending key in the TOML file, so the server shows it there and the CLI prints `file:line:col`.
 * Pure: file access goes through a `ProjectFileReader`, so the language server (open editors first) and the CLI
 * (the disk) find and read the same files.
 */
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { Range } from 'vscode-languageserver-types';
import { parseSettingsLayer, SETTINGS, type SettingKey, type Settings } from '../../../shared/src/settings';
import { indexTomlKeys, type TomlKeyIndex } from './tomlKeys';

export const PYPROJECT = 'pyproject.toml';
export const GREEN_AI_TOML = '.green-ai.toml';
/** In one folder, `.green-ai.toml` wins over pyproject.toml: a file made for Green AI says more than a shared one. */
export const PROJECT_FILE_NAMES = [GREEN_AI_TOML, PYPROJECT] as const;

/**
 * Settings a file in the repository may set: those that change the analysis and the estimate. Settings that name
 * programs to run or folders to write (`pythonPath`, `power.nvidiaSmiPath`, …) stay with the user: a cloned
 * repository must not choose what runs on the user's machine.
 */
export const PROJECT_KEYS = [
  'enable',
  'rules',
  'include',
  'exclude',
  'maxFileSizeMB',
  'analysisDelayMs',
  'hardware.gpu',
  'hardware.count',
  'location',
  'carbon.overrides',
] as const satisfies readonly SettingKey[];

export interface ProjectFileReader {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  read(file: string): string | undefined;
  /** Whether `dir` is a repository root (holds `.git`): the search stops there. */
  isRepositoryRoot(dir: string): boolean;
}

export interface ProjectProblem {
  /** 'error': the file does not parse and is ignored; 'warning': one key is ignored. */
  severity: 'error' | 'warning';
  range: Range;
  message: string;
  /** The key as written in the file, e.g. `tool.green-ai.rules.GA202`; absent for syntax errors. */
  key?: string;
}

export interface ProjectConfig {
  /** Absolute path of the file. */
  file: string;
  /** The valid keys; the layer between the defaults and the settings a user sets explicitly. */
  values: Partial<Settings>;
  problems: ProjectProblem[];
}

/** Whether a file name is one Green AI reads its project configuration from. */
export function isProjectFileName(file: string): boolean {
  const base = path.basename(file);
  return base === PYPROJECT || base === GREEN_AI_TOML;
}

/**
 * The configuration that applies to a file: the nearest project file in its folder or above, up to `stopAt`
 * (inclusive; the workspace folder in the editor) or else up to the repository root or the file system root.
 * A pyproject.toml without `[tool.green-ai]` is passed over, as Python tools do with theirs.
 */
export function findProjectConfig(file: string, reader: ProjectFileReader, stopAt?: string): ProjectConfig | null {
  return findProjectConfigIn(path.dirname(file), reader, stopAt);
}

/** As findProjectConfig, starting in the folder `start` itself (the CLI's `green-ai check some/folder`). */
export function findProjectConfigIn(start: string, reader: ProjectFileReader, stopAt?: string): ProjectConfig | null {
  for (let dir = start; ; dir = path.dirname(dir)) {
    for (const name of PROJECT_FILE_NAMES) {
      const candidate = path.join(dir, name);
      const text = reader.read(candidate);
      if (text === undefined) continue;
      const config = readProjectConfig(candidate, text);
      if (config) return config;
    }
    if ((stopAt !== undefined && samePath(dir, stopAt)) || path.dirname(dir) === dir) return null;
    if (stopAt === undefined && reader.isRepositoryRoot(dir)) return null;
  }
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/**
 * Reads one project file. Null for a pyproject.toml that has no `[tool.green-ai]` table; one that does not parse
 * counts (with its syntax error) when its text mentions `green-ai`, since it is then most likely meant for us.
 */
export function readProjectConfig(file: string, text: string): ProjectConfig | null {
  const isPyproject = path.basename(file) === PYPROJECT;
  let document: Record<string, unknown>;
  try {
    document = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (isPyproject && !text.includes('green-ai')) return null;
    return { file, values: {}, problems: [syntaxProblem(error, text)] };
  }
  const root = isPyproject ? ['tool', 'green-ai'] : [];
  const table = isPyproject ? (asTable(document.tool) ? document.tool['green-ai'] : undefined) : document;
  if (table === undefined) return null;
  const keys = indexTomlKeys(text);
  const problems: ProjectProblem[] = [];
  if (!asTable(table)) {
    problems.push(keyProblem(keys, root, 'expected a table of settings, e.g. `[tool.green-ai]` followed by `rules = { GA202 = "off" }`'));
    return { file, values: {}, problems };
  }
  const { allowed, rejected } = splitKeys(table, root);
  for (const { tomlPath, message } of rejected) problems.push(keyProblem(keys, tomlPath, message));
  const { values, problems: invalid } = parseSettingsLayer(allowed);
  for (const problem of invalid) {
    const tomlPath = problem.setting ? locate(keys, root, problem.setting, problem.path ?? []) : root;
    problems.push(keyProblem(keys, tomlPath, problem.message));
  }
  problems.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { file, values, problems };
}

function asTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Groups of dotted setting keys (`hardware` for `hardware.gpu`), so `[tool.green-ai.hardware]` is a known table. */
const GROUPS = new Map<string, string[]>();
for (const key of PROJECT_KEYS) {
  const dot = key.indexOf('.');
  if (dot > 0) GROUPS.set(key.slice(0, dot), [...(GROUPS.get(key.slice(0, dot)) ?? []), key.slice(dot + 1)]);
}

/**
 * Keeps the keys a project file may set, written nested (`[tool.green-ai.hardware] gpu = …`) or quoted
 * (`"hardware.gpu" = …`); every other key is rejected with a message naming it.
 */
function splitKeys(table: Record<string, unknown>, root: readonly string[]): { allowed: Record<string, unknown>; rejected: { tomlPath: string[]; message: string }[] } {
  const allowed: Record<string, unknown> = {};
  const rejected: { tomlPath: string[]; message: string }[] = [];
  const known = PROJECT_KEYS.join(', ');
  const reject = (tomlPath: string[], key: string) => {
    const userOnly = key in SETTINGS;
    rejected.push({
      tomlPath,
      message: userOnly
        ? 'can only be set in VS Code settings, not in a project file; ignored'
        : `unknown key; a project file may set ${known}; ignored`,
    });
  };
  for (const [key, value] of Object.entries(table)) {
    if ((PROJECT_KEYS as readonly string[]).includes(key)) {
      allowed[key] = value;
    } else if (GROUPS.has(key) && asTable(value)) {
      for (const [sub, subValue] of Object.entries(value)) {
        const full = `${key}.${sub}`;
        if (GROUPS.get(key)!.includes(sub)) allowed[full] = subValue;
        else reject([...root, key, sub], full);
      }
    } else {
      reject([...root, key], key);
    }
  }
  return { allowed, rejected };
}

/** The TOML path of a setting's problem: the setting written nested or as one quoted dotted key, then the path inside its value. */
function locate(keys: TomlKeyIndex, root: readonly string[], setting: SettingKey, inner: readonly string[]): string[] {
  const nested = [...root, ...setting.split('.'), ...inner];
  const quoted = [...root, setting, ...inner];
  const candidates = [nested, quoted].map((candidate) => keys.nearest(candidate)).filter((found) => found !== undefined);
  const best = candidates.sort((a, b) => b.path.length - a.path.length)[0];
  return best ? [...best.path] : nested;
}

function keyProblem(keys: TomlKeyIndex, tomlPath: readonly string[], message: string): ProjectProblem {
  const found = keys.nearest(tomlPath);
  const range = found?.range ?? keys.lines.range(0, 0);
  return { severity: 'warning', range, message: `${tomlPath.join('.') || 'project file'}: ${message}`, key: tomlPath.join('.') };
}

/** smol-toml reports 1-based line and column; the first line of its message is the reason, the rest a code excerpt. */
function syntaxProblem(error: unknown, text: string): ProjectProblem {
  if (error instanceof TomlError) {
    const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
    const lines = text.split(/\r?\n/);
    let line = Math.max(0, error.line - 1);
    let character = Math.max(0, error.column - 1);
    // Input that ends too early is reported past its end; the place to fix is the end of the last written line.
    if (lines.slice(line).every((rest) => rest.trim() === '') && line > 0) {
      while (line > 0 && lines[line]!.trim() === '') line--;
      character = lines[line]!.trimEnd().length;
    }
    const lineText = lines[line] ?? '';
    const end = Math.min(lineText.length, character + 1);
    return {
      severity: 'error',
      range: { start: { line, character }, end: { line, character: Math.max(end, character) } },
      message: `TOML syntax error: ${reason}. Green AI ignores this file until it parses.`,
    };
  }
  return { severity: 'error', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message: `cannot read this file: ${error instanceof Error ? error.message : String(error)}` };
}
