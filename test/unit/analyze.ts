/** Test helpers: analyse a Python string with the real parser and engine. */
import type { Parser } from 'web-tree-sitter';
import { defaultSettings, parseSettings, type Settings } from '../../shared/src/settings';
import { analyzePython, type AnalysisOutcome } from '../../server/src/analysis/engine';
import { createPythonParser } from '../../server/src/documents/pythonParser';

let parser: Parser | undefined;

export async function pythonParser(): Promise<Parser> {
  parser ??= await createPythonParser();
  return parser;
}

export async function analyze(text: string, settings: Partial<Record<keyof Settings, unknown>> = {}): Promise<AnalysisOutcome> {
  const p = await pythonParser();
  const tree = p.parse(text);
  if (!tree) throw new Error('no tree');
  try {
    const resolved = Object.keys(settings).length > 0 ? parseSettings(settings).settings : defaultSettings();
    return analyzePython(tree, text, 'file:///test.py', resolved);
  } finally {
    tree.delete();
  }
}

/** Applies LSP text edits (non-overlapping) to a string. */
export function applyEdits(text: string, edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const offset = (p: { line: number; character: number }) => (lineStarts[p.line] ?? text.length) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let result = text;
  for (const edit of sorted) {
    result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
  }
  return result;
}
