/**
 * A format-neutral view of a YAML or JSON document: maps, sequences and scalars with their source offsets,
 * so that rules read `trainer.precision` the same way in both formats and anchor findings on the exact key.
 * Values the analyser cannot know (Hydra `${...}` interpolation, YAML aliases, tags) are scalars with
 * `dynamic: true`; rules treat them as delegated and stay silent.
 */
import type { TextEdit } from 'vscode-languageserver-types';

export interface Span {
  start: number;
  end: number;
}

export type ConfigNode = ConfigMap | ConfigSeq | ConfigScalar;

export interface ConfigMap extends Span {
  type: 'map';
  entries: ConfigEntry[];
  /** `{a: 1}` / JSON objects written on one line; block maps and multi-line objects are false. */
  flow: boolean;
}

export interface ConfigSeq extends Span {
  type: 'seq';
  items: ConfigNode[];
}

export interface ConfigScalar extends Span {
  type: 'scalar';
  value: string | number | boolean | null;
  /** How the scalar is written: `plain`, `'single'`, `"double"` (JSON strings are double), or a block scalar. */
  style: 'plain' | 'single' | 'double' | 'block';
  /** Interpolation, alias or anything else whose value is decided elsewhere. */
  dynamic: boolean;
}

export interface ConfigEntry {
  key: string;
  keySpan: Span;
  /** null for `key:` with nothing after it (YAML) */
  value: ConfigNode | null;
  /** From the key's start to the value's end. */
  span: Span;
}

/** Where a new entry goes in a map. */
export type Placement = { after: ConfigEntry } | { before: ConfigEntry } | 'end';

/** Style-keeping edits of one document, written once per format. */
export interface ConfigEditor {
  /** Replaces a scalar's value, keeping its quoting style. `value` is the plain value (`bf16`, `true`, `4`). */
  setScalar(scalar: ConfigScalar, value: string | number | boolean): TextEdit;
  /** Adds `key: value` to a map at its indentation; `value` may be a nested object of plain values. Null when the map cannot take it safely. */
  addEntry(map: ConfigMap, key: string, value: PlainValue, placement?: Placement): TextEdit | null;
}

export type PlainValue = string | number | boolean | { [key: string]: PlainValue };

export function entryOf(map: ConfigNode | null | undefined, key: string): ConfigEntry | undefined {
  if (!map || map.type !== 'map') return undefined;
  // The last occurrence wins, as in PyYAML and json.load.
  for (let i = map.entries.length - 1; i >= 0; i--) if (map.entries[i]!.key === key) return map.entries[i];
  return undefined;
}

/** The node at a dotted path (`trainer.precision`), or undefined. */
export function nodeAt(root: ConfigNode | null | undefined, path: string): ConfigNode | null | undefined {
  let current: ConfigNode | null | undefined = root;
  for (const part of path.split('.')) {
    const entry = entryOf(current, part);
    if (!entry) return undefined;
    current = entry.value;
  }
  return current;
}

export function mapAt(root: ConfigNode | null | undefined, path: string): ConfigMap | undefined {
  const node = nodeAt(root, path);
  return node?.type === 'map' ? node : undefined;
}

export function scalarAt(root: ConfigNode | null | undefined, path: string): ConfigScalar | undefined {
  const node = nodeAt(root, path);
  return node?.type === 'scalar' ? node : undefined;
}

/** The scalar's value when it is literal (not interpolated, not an alias). */
export function literal(scalar: ConfigScalar | undefined): string | number | boolean | null | undefined {
  if (!scalar || scalar.dynamic) return undefined;
  return scalar.value;
}

/** true / false for literal booleans (also the strings "true"/"false" that YAML 1.1 loaders accept), else undefined. */
export function booleanOf(scalar: ConfigScalar | undefined): boolean | undefined {
  const value = literal(scalar);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && scalar?.style === 'plain') {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'yes' || lower === 'on') return true;
    if (lower === 'false' || lower === 'no' || lower === 'off') return false;
  }
  return undefined;
}

export function numberOf(scalar: ConfigScalar | undefined): number | undefined {
  const value = literal(scalar);
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

export function stringOf(scalar: ConfigScalar | undefined): string | undefined {
  const value = literal(scalar);
  if (value === null || value === undefined) return undefined;
  return String(value);
}

/** Keys are sorted (as `accelerate config` writes them): new keys go in order. */
export function sortedPlacement(map: ConfigMap, key: string): Placement {
  const keys = map.entries.map((e) => e.key);
  const sorted = keys.every((k, i) => i === 0 || keys[i - 1]!.localeCompare(k) <= 0);
  if (!sorted || map.entries.length === 0) return 'end';
  const next = map.entries.find((e) => e.key.localeCompare(key) > 0);
  return next ? { before: next } : 'end';
}
