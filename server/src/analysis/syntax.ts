/** Small, allocation-light helpers over tree-sitter-python nodes, shared by predicates and rules. */
import type { Node } from 'web-tree-sitter';
import type { Range } from 'vscode-languageserver-types';

/** `torch.nn.DataParallel` for an attribute chain, `model` for an identifier, null for anything else. */
export function dottedName(node: Node | null): string | null {
  if (!node) return null;
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    const object = dottedName(node.childForFieldName('object'));
    const attribute = node.childForFieldName('attribute');
    return object && attribute ? `${object}.${attribute.text}` : null;
  }
  return null;
}

export function calleeOf(call: Node): Node | null {
  return call.childForFieldName('function');
}

/** The called name, e.g. `nn.DataParallel`; null for calls of calls or subscripts. */
export function calleeName(call: Node): string | null {
  return dottedName(calleeOf(call));
}

/** The last segment of the callee: `zero_grad` for `optimizer.zero_grad(...)`, even when the receiver is an expression. */
export function calleeMethod(call: Node): string | null {
  const callee = calleeOf(call);
  if (!callee) return null;
  if (callee.type === 'identifier') return callee.text;
  if (callee.type === 'attribute') return callee.childForFieldName('attribute')?.text ?? null;
  return null;
}

/** The receiver of a method call: `optimizer` in `optimizer.zero_grad()`. */
export function receiverOf(call: Node): Node | null {
  const callee = calleeOf(call);
  return callee?.type === 'attribute' ? callee.childForFieldName('object') : null;
}

export function argumentList(call: Node): Node | null {
  const args = call.childForFieldName('arguments');
  return args?.type === 'argument_list' ? args : null;
}

export function keywordArgument(call: Node, name: string): Node | null {
  const args = argumentList(call);
  if (!args) return null;
  for (const child of args.namedChildren) {
    if (child?.type === 'keyword_argument' && child.childForFieldName('name')?.text === name) return child;
  }
  return null;
}

export function keywordValue(call: Node, name: string): Node | null {
  return keywordArgument(call, name)?.childForFieldName('value') ?? null;
}

export function positionalArguments(call: Node): Node[] {
  const args = argumentList(call);
  if (!args) return [];
  return args.namedChildren.filter(
    (child): child is Node =>
      !!child &&
      child.type !== 'keyword_argument' &&
      child.type !== 'dictionary_splat' &&
      child.type !== 'list_splat' &&
      child.type !== 'comment',
  );
}

export function dictionarySplats(call: Node): Node[] {
  const args = argumentList(call);
  if (!args) return [];
  return args.namedChildren.filter((child): child is Node => child?.type === 'dictionary_splat');
}

export function hasListSplat(call: Node): boolean {
  return argumentList(call)?.namedChildren.some((child) => child?.type === 'list_splat') ?? false;
}

/** Every descendant of one of `types`, in document order; skips nothing. */
export function descendantsOfType(node: Node, types: string | readonly string[]): Node[] {
  return node.descendantsOfType(types as string | string[]).filter((n): n is Node => n !== null);
}

export function ancestor(node: Node, predicate: (candidate: Node) => boolean): Node | null {
  for (let current = node.parent; current; current = current.parent) {
    if (predicate(current)) return current;
  }
  return null;
}

export const FUNCTION_TYPES = new Set(['function_definition', 'lambda']);
export const LOOP_TYPES = new Set(['for_statement', 'while_statement']);

/** The function that owns a node (null at module level). Decorated functions are the `function_definition`. */
export function enclosingFunction(node: Node): Node | null {
  return ancestor(node, (candidate) => candidate.type === 'function_definition');
}

export function enclosingClass(node: Node): Node | null {
  return ancestor(node, (candidate) => candidate.type === 'class_definition');
}

/** True when `inner` lies inside `outer` (or is it). */
export function contains(outer: Node, inner: Node): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

/** The statement node directly inside a block (or module) that contains `node`. */
export function statementOf(node: Node): Node {
  let current: Node = node;
  while (current.parent && current.parent.type !== 'block' && current.parent.type !== 'module') {
    current = current.parent;
  }
  return current;
}

export function rangeOf(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

/** The node's range cut at the end of its first line, so a multi-line call squiggles only its opening line. */
export function firstLineRange(node: Node, lineText: (line: number) => string): Range {
  const range = rangeOf(node);
  if (range.end.line === range.start.line) return range;
  return { start: range.start, end: { line: range.start.line, character: lineText(range.start.line).length } };
}

/** The string content of a plain string literal (no interpolation); null otherwise. */
export function stringLiteralValue(node: Node): string | null {
  if (node.type === 'concatenated_string') {
    let joined = '';
    for (const part of node.namedChildren) {
      const value = part ? stringLiteralValue(part) : null;
      if (value === null) return null;
      joined += value;
    }
    return joined;
  }
  if (node.type !== 'string') return null;
  let content = '';
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'interpolation') return null;
    if (child.type === 'string_content' || child.type === 'escape_sequence') content += child.text;
  }
  return content;
}

/** For f-strings, the literal text before the first interpolation (`f"cuda:{rank}"` → `cuda:`). */
export function stringLiteralPrefix(node: Node): string | null {
  if (node.type !== 'string') return null;
  let content = '';
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'interpolation') return content;
    if (child.type === 'string_content' || child.type === 'escape_sequence') content += child.text;
  }
  return content;
}

/** Leading whitespace of a line. */
export function indentationOf(line: string): string {
  const match = /^[ \t]*/.exec(line);
  return match ? match[0] : '';
}
