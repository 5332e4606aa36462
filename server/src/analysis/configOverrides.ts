/**
 * nanoGPT-style configuration overrides: a script that sets module globals and then runs
 * `exec(open('configurator.py').read())` lets any `config/*.py` next to it re-assign those globals
 * (`python train.py config/train_shakespeare_char.py`). The files are read through a reader that the
 * CLI or server provides (analysis itself never touches the disk); without one nothing changes.
 *
 * Config files are read as the flat `name = literal` lines they consist of — not parsed as Python —
 * and a line whose value is not a plain literal counts as an unknown override.
 */
import type { Node } from 'web-tree-sitter';
import type { Value } from './values';

/**
 * Reads files next to the analysed one: `glob` is relative to its directory and of the form
 * `dir/*.ext` (one directory level, a `*` file-name pattern). Returns the files' paths (for messages)
 * and text; an empty list when there are none or the analysed document is not on disk.
 */
export type SiblingFileReader = (glob: string) => readonly { path: string; text: string }[];

export interface Override {
  value: Value;
  /** `config/train_gpt2.py:7` */
  from: string;
}

export interface ConfigOverrides {
  /** The `exec(open('configurator.py').read())` statement: globals bound before it and read after it may be overridden. */
  exec: Node;
  globals: Map<string, Override[]>;
}

export const CONFIG_GLOB = 'config/*.py';
const CONFIGURATOR_EXEC = /^exec\s*\(\s*open\s*\(\s*(['"])(?:[\w./-]*\/)?configurator\.py\1\s*\)\s*\.read\s*\(\s*\)\s*\)$/;
const ASSIGNMENT_LINE = /^([A-Za-z_]\w*)\s*=\s*(.+?)\s*(?:#.*)?$/;

/** The module-level `exec(open('configurator.py').read())` statement, if the script has one. */
export function configuratorExec(root: Node, text: string): Node | null {
  if (!text.includes('configurator')) return null;
  for (const statement of root.namedChildren) {
    if (statement?.type !== 'expression_statement') continue;
    if (CONFIGURATOR_EXEC.test(statement.text.trim())) return statement;
  }
  return null;
}

/** The globals that the config files assign, each with every value it is given; null without a configurator or files. */
export function readConfigOverrides(root: Node, text: string, reader: SiblingFileReader | undefined): ConfigOverrides | null {
  if (!reader) return null;
  const exec = configuratorExec(root, text);
  if (!exec) return null;
  const globals = new Map<string, Override[]>();
  for (const file of reader(CONFIG_GLOB)) {
    file.text.split(/\r?\n/).forEach((line, index) => {
      const match = ASSIGNMENT_LINE.exec(line);
      if (!match) return;
      const [, name, expression] = match;
      const list = globals.get(name!) ?? [];
      list.push({ value: literalValue(expression!), from: `${file.path}:${index + 1}` });
      globals.set(name!, list);
    });
  }
  return globals.size > 0 ? { exec, globals } : null;
}

/** A Python literal written on one line: numbers (with `_` and exponents), True/False/None, plain quoted strings. */
export function literalValue(expression: string): Value {
  const text = expression.trim();
  if (text === 'True') return { kind: 'bool', value: true };
  if (text === 'False') return { kind: 'bool', value: false };
  if (text === 'None') return { kind: 'none' };
  if (/^[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?$/.test(text)) {
    const value = Number(text.replace(/_/g, ''));
    if (Number.isFinite(value)) return { kind: 'number', value };
  }
  const quoted = /^(['"])([^'"\\]*)\1$/.exec(text);
  if (quoted) return { kind: 'string', value: quoted[2]! };
  return { kind: 'unknown' };
}

export function sameValue(a: Value, b: Value): boolean {
  if (a.kind === 'unknown' || b.kind === 'unknown') return false;
  if (a.kind !== b.kind) return false;
  return !('value' in a) || !('value' in b) || a.value === b.value;
}
