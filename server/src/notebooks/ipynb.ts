/**
 * Reads a Jupyter notebook file (.ipynb, nbformat 4) for the CLI: the JSON is checked against the nbformat shape
 * with zod, and a notebook that cannot be read becomes one GA000 note naming the problem and where it is. Each
 * finding keeps its cell coordinates and also gets the region of the .ipynb text that holds that code, so that
 * SARIF viewers, which show the raw file, point at the right line.
 */
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import type { Position, Range } from 'vscode-languageserver-types';
import type { Parser } from 'web-tree-sitter';
import { z } from 'zod';
import type { Settings } from '../../../shared/src/settings';
import { FILE_NOTE_ID, type Finding, type RuleFailure } from '../analysis/engine';
import { LineIndex } from '../configs/positions';
import { analyzeNotebook } from './analyzeNotebook';

/** Where a finding in a notebook is: the cell (1-based, counting every cell as Jupyter lists them) and the .ipynb text region. */
export interface NotebookLocation {
  cell: number;
  /** The cell's nbformat 4.5 `id`, when the notebook has one. */
  cellId?: string;
  /** 1-based lines and columns of the .ipynb text; columns are absent when the position is not inside a source string. */
  fileRegion: { startLine: number; startColumn?: number; endLine: number; endColumn?: number };
}

/** A finding as the CLI reports it: ranges are cell coordinates when `notebook` is set. */
export type LocatedFinding = Finding & { notebook?: NotebookLocation };

const source = z.union([z.string(), z.array(z.string())], { error: 'must be a string or a list of strings' });
const cellSchema = z.object({
  cell_type: z.enum(['code', 'markdown', 'raw'], { error: 'must be "code", "markdown" or "raw"' }),
  source,
  id: z.string().optional(),
});
const notebookSchema = z.object({
  nbformat: z.number({ error: 'must be a number (the nbformat major version)' }).refine((v) => v === 4, {
    error: 'must be 4: only nbformat 4 notebooks are read (convert older ones with `jupyter nbconvert --to notebook`)',
  }),
  metadata: z
    .object(
      {
        kernelspec: z.object({ language: z.string({ error: 'must be a string (the kernel language)' }).optional() }, { error: 'must be an object' }).optional(),
        language_info: z.object({ name: z.string({ error: 'must be a string (the language name)' }).optional() }, { error: 'must be an object' }).optional(),
      },
      { error: 'must be an object' },
    )
    .optional(),
  cells: z.array(cellSchema, { error: 'must be a list of cells' }),
}, { error: 'must be a JSON object with "nbformat" and "cells"' });

export interface NotebookFileCell {
  kind: 'code' | 'markdown' | 'raw';
  text: string;
  id?: string;
}

export type NotebookRead =
  | { ok: true; cells: NotebookFileCell[]; language: string | null; root: JsonNode; lines: LineIndex }
  | { ok: false; message: string; range: Range };

export function readNotebook(text: string): NotebookRead {
  const lines = new LineIndex(text);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const firstError = errors[0];
  if (!root || firstError) {
    const at = firstError ? lines.range(firstError.offset, firstError.offset + firstError.length) : lines.range(0, 0);
    const why = firstError ? printParseErrorCode(firstError.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() : 'empty file';
    return { ok: false, message: `not valid JSON (${why})`, range: at };
  }
  const parsed = notebookSchema.safeParse(getNodeValue(root));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
    const node = path.length > 0 ? findNodeAtLocation(root, path) : root;
    if (!node) {
      // A missing key is reported on the object that lacks it.
      const parent = findNodeAtLocation(root, path.slice(0, -1)) ?? root;
      return { ok: false, message: `"${keyPath(path)}" is missing`, range: lines.range(parent.offset, parent.offset + parent.length) };
    }
    const subject = path.length > 0 ? `"${keyPath(path)}"` : 'the notebook';
    return { ok: false, message: `${subject} ${issue.message}`, range: lines.range(node.offset, node.offset + node.length) };
  }
  const { metadata, cells } = parsed.data;
  const language = metadata?.kernelspec?.language ?? metadata?.language_info?.name ?? null;
  return {
    ok: true,
    cells: cells.map((cell) => ({
      kind: cell.cell_type,
      text: typeof cell.source === 'string' ? cell.source : cell.source.join(''),
      ...(cell.id !== undefined ? { id: cell.id } : {}),
    })),
    language,
    root,
    lines,
  };
}

function keyPath(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${key}`)).join('');
}

export interface NotebookFileOutcome {
  findings: LocatedFinding[];
  failures: RuleFailure[];
}

/** Analyses a notebook's text; never throws for a malformed notebook (it becomes a GA000 note). */
export function analyzeNotebookText(parser: Parser, text: string, file: string, settings: Settings): NotebookFileOutcome {
  const notebook = readNotebook(text);
  if (!notebook.ok) return { findings: [note(`Green AI could not read this notebook: ${notebook.message}.`, notebook.range)], failures: [] };
  if (notebook.language !== null && notebook.language.toLowerCase() !== 'python') {
    return { findings: [note(`Green AI skipped this notebook: its kernel language is ${notebook.language}, not Python.`, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } })], failures: [] };
  }
  const code = notebook.cells.flatMap((cell, index) => (cell.kind === 'code' ? [{ index, text: cell.text }] : []));
  const outcome = analyzeNotebook(parser, code, file, settings);
  const findings = outcome.findings.map((finding): LocatedFinding => {
    const cell = notebook.cells[finding.cell];
    const sourceNode = findNodeAtLocation(notebook.root, ['cells', finding.cell, 'source']);
    const startAt = sourceNode ? filePosition(sourceNode, cell?.text ?? '', finding.range.start, notebook.lines) : null;
    const endAt = sourceNode ? filePosition(sourceNode, cell?.text ?? '', finding.range.end, notebook.lines) : null;
    return {
      ruleId: finding.ruleId,
      severity: finding.severity,
      range: finding.range,
      message: finding.message,
      // Fixes and related locations are editor features; the CLI prints neither.
      fixes: [],
      related: [],
      ...(finding.saving ? { saving: finding.saving } : {}),
      notebook: {
        cell: finding.cell + 1,
        ...(cell?.id !== undefined ? { cellId: cell.id } : {}),
        fileRegion: {
          startLine: (startAt?.line ?? 0) + 1,
          ...(startAt ? { startColumn: startAt.character + 1 } : {}),
          endLine: (endAt?.line ?? startAt?.line ?? 0) + 1,
          ...(endAt ? { endColumn: endAt.character + 1 } : {}),
        },
      },
    };
  });
  return { findings, failures: outcome.failures };
}

function note(message: string, range: Range): LocatedFinding {
  return { ruleId: FILE_NOTE_ID, severity: 'information', range, message, fixes: [], related: [] };
}

/**
 * The .ipynb text position of a position in a cell's source: the source is one JSON string or a list of them,
 * so the cell offset is found in the string that holds it and walked through that string's escapes.
 */
export function filePosition(sourceNode: JsonNode, cellText: string, position: Position, lines: LineIndex): Position | null {
  const offset = offsetIn(cellText, position);
  const strings = sourceNode.type === 'string' ? [sourceNode] : (sourceNode.children ?? []).filter((child) => child.type === 'string');
  let start = 0;
  for (let i = 0; i < strings.length; i++) {
    const node = strings[i]!;
    const value = typeof node.value === 'string' ? node.value : '';
    const isLast = i === strings.length - 1;
    if (offset < start + value.length || (isLast && offset <= start + value.length)) {
      return lines.position(node.offset + rawOffset(lines.text.slice(node.offset, node.offset + node.length), offset - start));
    }
    start += value.length;
  }
  return null;
}

function offsetIn(text: string, position: Position): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(text.length, offset + position.character);
}

/** Offset in a raw JSON string literal (quotes included) of the value's `index`-th UTF-16 unit. */
function rawOffset(raw: string, index: number): number {
  let at = 1;
  for (let unit = 0; unit < index && at < raw.length - 1; unit++) {
    if (raw[at] === '\\') at += raw[at + 1] === 'u' ? 6 : 2;
    else at += 1;
  }
  return at;
}
