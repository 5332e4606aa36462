/**
 * Text edits that quick fixes share: adding a keyword argument in the call's own layout, removing one,
 * wrapping statements in a `with` block using the file's indentation, and adding an import once.
 * Every edit keeps the file valid Python; the rule tests re-parse the result to check.
 */
import type { TextEdit } from 'vscode-languageserver-types';
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from './context';
import { argumentList, indentationOf, keywordArgument } from './syntax';

/** `f(a, b)` → `f(a, b, name=value)`; a multi-line call gets the argument on its own line. */
export function addKeywordArgument(context: AnalysisContext, call: Node, argument: string): TextEdit | null {
  const args = argumentList(call);
  if (!args) return null;
  const items = args.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment');
  const closing = args.lastChild;
  if (!closing || closing.type !== ')') return null;
  const last = items[items.length - 1];
  if (!last) {
    return { range: point(closing.startPosition), newText: argument };
  }
  const hasTrailingComma = args.children.some((child) => child?.type === ',' && child.startIndex > last.endIndex);
  const multiLine = closing.startPosition.row > last.endPosition.row;
  if (multiLine) {
    const indentation = indentationOf(context.lineText(last.startPosition.row));
    const comma = hasTrailingComma ? '' : ',';
    const insertAt = hasTrailingComma ? commaAfter(args, last)!.endPosition : last.endPosition;
    return { range: point(insertAt), newText: `${comma}\n${indentation}${argument}${hasTrailingComma ? ',' : ''}` };
  }
  if (hasTrailingComma) {
    return { range: point(commaAfter(args, last)!.endPosition), newText: ` ${argument}` };
  }
  return { range: point(last.endPosition), newText: `, ${argument}` };
}

/** Replaces a keyword argument's value. */
export function replaceKeywordValue(call: Node, keyword: string, value: string): TextEdit | null {
  const valueNode = keywordArgument(call, keyword)?.childForFieldName('value');
  if (!valueNode) return null;
  return { range: span(valueNode.startPosition, valueNode.endPosition), newText: value };
}

/** Removes `name=...` and the comma that separates it from its neighbour. */
export function removeKeywordArgument(call: Node, keyword: string): TextEdit | null {
  const target = keywordArgument(call, keyword);
  const args = argumentList(call);
  if (!target || !args) return null;
  const items = args.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment');
  const index = items.findIndex((item) => item.id === target.id);
  const previous = items[index - 1];
  const next = items[index + 1];
  if (next) return { range: span(target.startPosition, next.startPosition), newText: '' };
  if (previous) return { range: span(previous.endPosition, target.endPosition), newText: '' };
  // The only argument: remove it together with a trailing comma, keep the parentheses.
  const closing = args.lastChild!;
  return { range: span(args.firstChild!.endPosition, closing.startPosition), newText: '' };
}

/** Wraps whole statements `first`..`last` (same block) in `header:`, indenting them one level. */
export function wrapStatements(context: AnalysisContext, first: Node, last: Node, header: string): TextEdit {
  const startRow = first.startPosition.row;
  const endRow = last.endPosition.row;
  const indentation = indentationOf(context.lineText(startRow));
  const unit = context.indentUnit();
  const body: string[] = [];
  for (let row = startRow; row <= endRow; row++) {
    const line = context.lineText(row);
    body.push(line.trim().length === 0 ? line : unit + line);
  }
  const newline = context.newline();
  return {
    range: { start: { line: startRow, character: 0 }, end: { line: endRow, character: context.lineText(endRow).length } },
    newText: `${indentation}${header}:${newline}${body.join(newline)}`,
  };
}

/**
 * Deletes a whole statement with its line(s); the only statement of a block becomes `pass`. Null when the
 * statement shares a line with another one (`a(); b()`), where a line-based edit would take both.
 */
export function removeStatement(context: AnalysisContext, statement: Node): TextEdit | null {
  const startRow = statement.startPosition.row;
  const endRow = statement.endPosition.row;
  const before = context.lineText(startRow).slice(0, statement.startPosition.column);
  const after = context.lineText(endRow).slice(statement.endPosition.column);
  if (before.trim() !== '' || !/^\s*(#.*)?$/.test(after)) return null;
  const block = statement.parent;
  const siblings = block?.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment') ?? [];
  if (block?.type === 'block' && siblings.length === 1) {
    return { range: span(statement.startPosition, statement.endPosition), newText: 'pass' };
  }
  if (endRow + 1 < context.lines().length) {
    return { range: { start: { line: startRow, character: 0 }, end: { line: endRow + 1, character: 0 } }, newText: '' };
  }
  // The last line of a file without a final newline.
  return { range: { start: { line: startRow, character: 0 }, end: { line: endRow, character: context.lineText(endRow).length } }, newText: '' };
}

/**
 * `with a():` + indented body → the body one level out (the context manager is dropped). Null when the body
 * shares the header's line or a body line does not carry the block's indentation (a multi-line string).
 */
export function unwrapWith(context: AnalysisContext, withStatement: Node): TextEdit | null {
  const body = withStatement.childForFieldName('body');
  if (!body || body.startPosition.row === withStatement.startPosition.row) return null;
  const outer = indentationOf(context.lineText(withStatement.startPosition.row));
  const inner = indentationOf(context.lineText(body.startPosition.row));
  if (!inner.startsWith(outer) || inner.length === outer.length) return null;
  const extra = inner.slice(outer.length);
  const lines: string[] = [];
  for (let row = body.startPosition.row; row <= body.endPosition.row; row++) {
    const line = context.lineText(row);
    if (line.trim() === '') lines.push('');
    else if (line.startsWith(outer + extra)) lines.push(outer + line.slice(outer.length + extra.length));
    else return null;
  }
  const newline = context.newline();
  const endRow = body.endPosition.row;
  return {
    range: { start: { line: withStatement.startPosition.row, character: 0 }, end: { line: endRow, character: context.lineText(endRow).length } },
    newText: lines.join(newline),
  };
}

/** `import os` after the last top-level import (or at the top), unless the module is already imported. */
export function ensureImport(context: AnalysisContext, module: string): TextEdit | null {
  // `from torch import nn` imports the module but does not bind the name `torch` that a fix writes.
  if (context.imports().binds(module)) return null;
  const newline = context.newline();
  const lastImport = lastTopLevelImport(context);
  if (lastImport) {
    const row = lastImport.endPosition.row;
    return { range: point({ row, column: context.lineText(row).length }), newText: `${newline}import ${module}` };
  }
  const firstStatement = context.root.namedChildren.find((child) => child && child.type !== 'comment' && !isDocstring(child));
  const row = firstStatement ? firstStatement.startPosition.row : 0;
  return { range: point({ row, column: 0 }), newText: `import ${module}${newline}` };
}

function isDocstring(statement: Node): boolean {
  return statement.type === 'expression_statement' && statement.namedChildren[0]?.type === 'string';
}

function commaAfter(args: Node, item: Node): Node | null {
  return args.children.find((child) => child?.type === ',' && child.startIndex >= item.endIndex) ?? null;
}

function point(position: { row: number; column: number }) {
  return { start: { line: position.row, character: position.column }, end: { line: position.row, character: position.column } };
}

function span(start: { row: number; column: number }, end: { row: number; column: number }) {
  return { start: { line: start.row, character: start.column }, end: { line: end.row, character: end.column } };
}

/**
 * A module-level statement right after the last top-level import (with a blank line before it), adding
 * `import torch` in the same edit when the file does not bind `torch` yet — one edit, so the order is fixed.
 */
export function insertAfterImports(context: AnalysisContext, statement: string, needsTorch = false): TextEdit {
  const newline = context.newline();
  const lastImport = lastTopLevelImport(context);
  const addTorch = needsTorch && !context.imports().binds('torch');
  if (lastImport) {
    const row = lastImport.endPosition.row;
    const extraImport = addTorch ? `${newline}import torch` : '';
    return { range: point({ row, column: context.lineText(row).length }), newText: `${extraImport}${newline}${newline}${statement}` };
  }
  const importTorch = addTorch ? `import torch${newline}` : '';
  const firstStatement = context.root.namedChildren.find((child) => child && child.type !== 'comment' && !isDocstring(child));
  const row = firstStatement ? firstStatement.startPosition.row : 0;
  return { range: point({ row, column: 0 }), newText: `${importTorch}${statement}${newline}${newline}` };
}

/** `import torch` where a fix writes `torch.…` and the file does not bind that name yet. */
export function ensureTorchImport(context: AnalysisContext): TextEdit | null {
  return ensureImport(context, 'torch');
}

function lastTopLevelImport(context: AnalysisContext): Node | null {
  let lastImport: Node | null = null;
  for (const statement of context.root.namedChildren) {
    if (statement?.type === 'import_statement' || statement?.type === 'import_from_statement' || statement?.type === 'future_import_statement') lastImport = statement;
  }
  return lastImport;
}

/** A new statement on its own line after `statement`, at the same indentation (after its last line). */
export function insertStatementAfter(context: AnalysisContext, statement: Node, text: string): TextEdit {
  const row = statement.endPosition.row;
  const indentation = indentationOf(context.lineText(statement.startPosition.row));
  return { range: point({ row, column: context.lineText(row).length }), newText: `${context.newline()}${indentation}${text}` };
}

/** A new statement on its own line before `statement`, at the same indentation. */
export function insertStatementBefore(context: AnalysisContext, statement: Node, text: string): TextEdit {
  const row = statement.startPosition.row;
  const indentation = indentationOf(context.lineText(row));
  return { range: point({ row, column: 0 }), newText: `${indentation}${text}${context.newline()}` };
}
