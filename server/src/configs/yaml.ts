/**
 * YAML reader on the `yaml` package: every document of the stream (`---`) becomes a ConfigNode tree with source
 * offsets; the first syntax error is kept with its range. Duplicate keys are accepted (PyYAML and OmegaConf
 * keep the last), so they are not reported as errors. Edits keep the file's indentation, quoting and line breaks.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, Scalar, type Node as YamlNode } from 'yaml';
import type { TextEdit } from 'vscode-languageserver-types';
import type { LineIndex } from './positions';
import { reparseEditedEntry, type PreviousParse } from './yamlIncremental';
import type { ConfigEditor, ConfigEntry, ConfigMap, ConfigNode, ConfigScalar, Placement, PlainValue, Span } from './tree';

export interface ParseProblem {
  message: string;
  span: Span;
}

export interface DataDocument {
  root: ConfigNode | null;
  /** Comment lines directly at the top (`# @package _global_`), for recognisers. */
  headComment: string;
}

export interface ParsedData {
  documents: DataDocument[];
  problem: ParseProblem | null;
}

/*
 * The last few parses, most recent first: an editor re-analyses the file it is editing on every keystroke, and the job
 * graph reads the same configs again for each file of a job. An identical text reuses its parse (the trees are never
 * mutated); an edit inside one top-level entry re-parses only that entry (yamlIncremental.ts).
 */
const RECENT_PARSES = 4;
const recent: PreviousParse[] = [];

export function parseYaml(text: string): ParsedData {
  const at = recent.findIndex((previous) => previous.text === text);
  let parsed = at >= 0 ? recent.splice(at, 1)[0]!.parsed : undefined;
  if (!parsed) {
    for (const previous of recent) {
      if (Math.abs(previous.text.length - text.length) > INCREMENTAL_LENGTH_CHANGE) continue;
      parsed = reparseEditedEntry(previous, text, convertRootEntry) ?? undefined;
      if (parsed) break;
    }
  }
  parsed ??= parseYamlFully(text);
  recent.unshift({ text, parsed });
  if (recent.length > RECENT_PARSES) recent.pop();
  return parsed;
}

/** Edits longer than this (a paste, a reformat) are parsed in full. */
const INCREMENTAL_LENGTH_CHANGE = 4096;

/** The single top-level entry of a re-parsed block, offsets relative to that block. */
function convertRootEntry(entryText: string): ConfigEntry | null {
  const documents = parseAllDocuments(entryText, { prettyErrors: false, uniqueKeys: false, keepSourceTokens: false });
  if (documents.length !== 1 || documents[0]!.errors.length > 0) return null;
  const root = convert(documents[0]!.contents as YamlNode | null, entryText);
  return root?.type === 'map' && !root.flow && root.entries.length === 1 ? root.entries[0]! : null;
}

export function parseYamlFully(text: string): ParsedData {
  const documents: DataDocument[] = [];
  let problem: ParseProblem | null = null;
  for (const document of parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, keepSourceTokens: false })) {
    const error = document.errors[0];
    if (error && !problem) {
      const [start, end] = error.pos;
      problem = { message: `YAML: ${firstSentence(error.message)}`, span: { start, end: Math.max(end, start) } };
    }
    documents.push({ root: convert(document.contents as YamlNode | null, text), headComment: document.commentBefore ?? '' });
  }
  return { documents: problem ? [] : documents, problem };
}

function firstSentence(message: string): string {
  return message.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, '');
}

function convert(node: YamlNode | null | undefined, text: string): ConfigNode | null {
  if (!node) return null;
  const [start, valueEnd] = node.range ?? [0, 0, 0];
  if (isMap(node)) {
    const entries: ConfigEntry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key as YamlNode | null;
      if (!key || !isScalar(key) || !key.range) continue;
      const value = convert(pair.value as YamlNode | null, text);
      const keySpan = { start: key.range[0], end: key.range[1] };
      entries.push({ key: String(key.value), keySpan, value, span: { start: keySpan.start, end: value ? value.end : keySpan.end } });
    }
    return { type: 'map', entries, flow: node.flow === true, start, end: valueEnd };
  }
  if (isSeq(node)) {
    return { type: 'seq', items: node.items.flatMap((item) => convert(item as YamlNode, text) ?? []), start, end: valueEnd };
  }
  if (isScalar(node)) return scalarOf(node, start, valueEnd);
  if (isAlias(node)) return { type: 'scalar', value: null, style: 'plain', dynamic: true, start, end: valueEnd };
  return null;
}

function scalarOf(node: Scalar, start: number, end: number): ConfigScalar {
  const raw = node.value;
  const value = typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' || raw === null ? raw : null;
  const style =
    node.type === Scalar.QUOTE_SINGLE ? 'single' : node.type === Scalar.QUOTE_DOUBLE ? 'double' : node.type === Scalar.PLAIN || !node.type ? 'plain' : 'block';
  const dynamic = (typeof value === 'string' && value.includes('${')) || (node.tag !== undefined && !node.tag.startsWith('tag:yaml.org,2002:'));
  return { type: 'scalar', value, style, dynamic, start, end };
}

export class YamlEditor implements ConfigEditor {
  constructor(private readonly lines: LineIndex) {}

  setScalar(scalar: ConfigScalar, value: string | number | boolean): TextEdit {
    const written = this.lines.text.slice(scalar.start, scalar.end);
    // Booleans keep the file's spelling: Hydra configs often write Python's `True`/`False`.
    const text = typeof value === 'boolean' && /^[TF][a-z]/.test(written) ? (value ? 'True' : 'False') : String(value);
    const quoted = scalar.style === 'single' ? `'${text.replace(/'/g, "''")}'` : scalar.style === 'double' ? JSON.stringify(text) : text;
    return { range: this.lines.range(scalar.start, scalar.end), newText: typeof value === 'string' ? quoted : text };
  }

  addEntry(map: ConfigMap, key: string, value: PlainValue, placement: Placement = 'end'): TextEdit | null {
    if (map.flow) {
      if (typeof value === 'object') return null;
      const close = this.lines.text.lastIndexOf('}', map.end);
      if (close < map.start) return null;
      const separator = map.entries.length > 0 ? ', ' : '';
      return { range: this.lines.range(close, close), newText: `${separator}${key}: ${value}` };
    }
    const first = map.entries[0];
    if (!first) return null;
    const indent = this.lines.position(first.keySpan.start).character;
    const eol = this.lines.eol;
    const body = renderBlock(key, value, indent, typeof value === 'object' ? this.unit(indent) : 2);
    if (placement !== 'end' && 'before' in placement) {
      const at = this.lines.lineStart(this.lines.position(placement.before.keySpan.start).line);
      return { range: this.lines.range(at, at), newText: body.join(eol) + eol };
    }
    const after = placement !== 'end' && 'after' in placement ? placement.after : map.entries[map.entries.length - 1]!;
    // After the last line of the entry's value (which ends before any trailing comment of a nested map).
    const lastLine = this.lines.position(Math.max(after.span.start, after.span.end - 1)).line;
    const at = this.lines.lineEnd(lastLine);
    return { range: this.lines.range(at, at), newText: eol + body.join(eol) };
  }

  /** The file's indentation step: the smallest indentation of a key line, else the map's own, else two spaces. */
  private unit(fallback: number): number {
    let smallest = Infinity;
    for (let line = 0; line < this.lines.lineCount; line++) {
      const content = this.lines.lineText(line);
      const width = content.length - content.trimStart().length;
      if (width > 0 && width < smallest && !/^\s*(#|-|$)/.test(content)) smallest = width;
    }
    return Number.isFinite(smallest) && smallest <= 8 ? smallest : fallback > 0 ? fallback : 2;
  }
}

function renderBlock(key: string, value: PlainValue, indent: number, unit: number): string[] {
  const pad = ' '.repeat(indent);
  if (typeof value !== 'object') return [`${pad}${key}: ${value}`];
  return [`${pad}${key}:`, ...Object.entries(value).flatMap(([k, v]) => renderBlock(k, v, indent + unit, unit))];
}
