/**
 * JSON / JSONC reader on `jsonc-parser` (comments and trailing commas accepted, as in VS Code's JSON mode):
 * a ConfigNode tree with offsets, and the first syntax error with its range. Edits keep the indentation,
 * one-line vs multi-line layout and trailing-comma style of the object they touch.
 */
import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import type { TextEdit } from 'vscode-languageserver-types';
import type { LineIndex } from './positions';
import type { ConfigEditor, ConfigEntry, ConfigMap, ConfigNode, ConfigScalar, Placement, PlainValue } from './tree';
import type { ParsedData } from './yaml';

const MESSAGES: Record<string, string> = {
  InvalidSymbol: 'invalid symbol',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: 'colon expected',
  CommaExpected: 'comma expected',
  CloseBraceExpected: 'closing brace } expected',
  CloseBracketExpected: 'closing bracket ] expected',
  EndOfFileExpected: 'end of file expected',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character',
};

export function parseJson(text: string): ParsedData {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  const error = errors[0];
  if (error) {
    const code = printParseErrorCode(error.error);
    return { documents: [], problem: { message: `JSON: ${MESSAGES[code] ?? code}`, span: { start: error.offset, end: error.offset + Math.max(error.length, 1) } } };
  }
  return { documents: tree ? [{ root: convert(tree, text), headComment: '' }] : [], problem: null };
}

function convert(node: JsonNode, text: string): ConfigNode | null {
  const start = node.offset;
  const end = node.offset + node.length;
  switch (node.type) {
    case 'object': {
      const entries: ConfigEntry[] = [];
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (!key || typeof key.value !== 'string') continue;
        const converted = value ? convert(value, text) : null;
        const keySpan = { start: key.offset, end: key.offset + key.length };
        entries.push({ key: key.value, keySpan, value: converted, span: { start: keySpan.start, end: converted ? converted.end : keySpan.end } });
      }
      return { type: 'map', entries, flow: !text.slice(start, end).includes('\n'), start, end };
    }
    case 'array':
      return { type: 'seq', items: (node.children ?? []).flatMap((child) => convert(child, text) ?? []), start, end };
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return { type: 'scalar', value: node.value as ConfigScalar['value'], style: node.type === 'string' ? 'double' : 'plain', dynamic: false, start, end };
    default:
      return null;
  }
}

export class JsonEditor implements ConfigEditor {
  constructor(private readonly lines: LineIndex) {}

  setScalar(scalar: ConfigScalar, value: string | number | boolean): TextEdit {
    return { range: this.lines.range(scalar.start, scalar.end), newText: JSON.stringify(value) };
  }

  addEntry(map: ConfigMap, key: string, value: PlainValue, placement: Placement = 'end'): TextEdit | null {
    const text = this.lines.text;
    if (map.entries.length === 0) {
      const open = map.start + 1;
      return { range: this.lines.range(open, open), newText: `${JSON.stringify(key)}: ${renderInline(value)}` };
    }
    if (map.flow) {
      const anchor = placement !== 'end' && 'before' in placement ? placement.before : undefined;
      if (anchor) return { range: this.lines.range(anchor.span.start, anchor.span.start), newText: `${JSON.stringify(key)}: ${renderInline(value)}, ` };
      const after = placement !== 'end' && 'after' in placement ? placement.after : map.entries[map.entries.length - 1]!;
      return { range: this.lines.range(after.span.end, after.span.end), newText: `, ${JSON.stringify(key)}: ${renderInline(value)}` };
    }
    const first = map.entries[0]!;
    const indent = text.slice(this.lines.lineStart(this.lines.position(first.keySpan.start).line), first.keySpan.start);
    const indentText = /^\s*$/.test(indent) ? indent : '  ';
    const parentIndent = this.lines.lineText(this.lines.position(map.start).line).match(/^\s*/)![0];
    const unit = indentText.length > parentIndent.length && indentText.startsWith(parentIndent) ? indentText.slice(parentIndent.length) : '  ';
    const eol = this.lines.eol;
    const rendered = `${JSON.stringify(key)}: ${renderMultiline(value, indentText, unit, eol)}`;
    if (placement !== 'end' && 'before' in placement) {
      return { range: this.lines.range(placement.before.span.start, placement.before.span.start), newText: `${rendered},${eol}${indentText}` };
    }
    const after = placement !== 'end' && 'after' in placement ? placement.after : map.entries[map.entries.length - 1]!;
    // The new entry follows `after` directly; a comma that followed `after` now follows the new entry.
    return { range: this.lines.range(after.span.end, after.span.end), newText: `,${eol}${indentText}${rendered}` };
  }
}

function renderInline(value: PlainValue): string {
  if (typeof value !== 'object') return JSON.stringify(value);
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${renderInline(v)}`).join(', ')}}`;
}

function renderMultiline(value: PlainValue, indent: string, unit: string, eol: string): string {
  if (typeof value !== 'object') return JSON.stringify(value);
  const inner = indent + unit;
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${renderMultiline(v, inner, unit, eol)}`);
  return `{${eol}${entries.join(`,${eol}`)}${eol}${indent}}`;
}
