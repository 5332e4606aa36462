/** Small, allocation-light helpers over tree-sitter-python nodes, shared by predicates and rules. */
import type { Node, Tree } from 'web-tree-sitter';
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

/*
 * Rules ask the same questions of the same call nodes many times, and every answer crosses into wasm and
 * allocates node objects. Answers are memoised by node id per tree: ids are unique only within a live tree (a freed
 * tree's ids are reused by the next one), so the memo lives and dies with its Tree object — any caller, the engine or
 * `green-ai estimate` analysing several files in one process, gets answers about its own tree.
 */
interface CallMemo {
  calleeNames: Map<number, string | null>;
  calleeMethods: Map<number, string | null>;
  argumentTables: Map<number, ArgumentTable>;
  callTexts: Map<number, string>;
}

const memos = new WeakMap<Tree, CallMemo>();

/**
 * Drops the memo of a tree once its analysis is done: answers for every call of a 10,000-line file would otherwise stay
 * on the heap until the tree object is collected (the server keeps the previous tree for incremental parsing).
 */
export function releaseCallFacts(tree: Tree): void {
  memos.delete(tree);
}

function memoOf(node: Node): CallMemo {
  let memo = memos.get(node.tree);
  if (!memo) {
    memo = { calleeNames: new Map(), calleeMethods: new Map(), argumentTables: new Map(), callTexts: new Map() };
    memos.set(node.tree, memo);
  }
  return memo;
}

/** A call's source text, read once per analysis (reading it asks wasm for the node's end). */
function callText(call: Node): string {
  const { callTexts } = memoOf(call);
  let text = callTexts.get(call.id);
  if (text === undefined) {
    text = call.text;
    callTexts.set(call.id, text);
  }
  return text;
}

interface ArgumentTable {
  list: Node | null;
  positional: Node[];
  keywords: Map<string, Node>;
  splats: Node[];
  hasListSplat: boolean;
}

function argumentTable(call: Node): ArgumentTable {
  const { argumentTables } = memoOf(call);
  let table = argumentTables.get(call.id);
  if (table) return table;
  const field = call.childForFieldName('arguments');
  const list = field?.type === 'argument_list' ? field : null;
  table = { list, positional: [], keywords: new Map(), splats: [], hasListSplat: false };
  for (const child of list?.namedChildren ?? []) {
    if (!child) continue;
    switch (child.type) {
      case 'keyword_argument': {
        const name = child.childForFieldName('name')?.text;
        if (name && !table.keywords.has(name)) table.keywords.set(name, child);
        break;
      }
      case 'dictionary_splat':
        table.splats.push(child);
        break;
      case 'list_splat':
        table.hasListSplat = true;
        break;
      case 'comment':
        break;
      default:
        table.positional.push(child);
    }
  }
  argumentTables.set(call.id, table);
  return table;
}

export function calleeOf(call: Node): Node | null {
  return call.childForFieldName('function');
}

const PLAIN_DOTTED = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;
const LEADING_DOTTED = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/;
/** Words that match LEADING_DOTTED but are not names (`None(...)` is a call of `none`, not of an identifier). */
const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield',
]);
const errorFree = new WeakMap<Tree, boolean>();

/**
 * The callee of a call written plainly (`torch.nn.DataParallel(`), read from the call's own text: the dotted name
 * it starts with, when the argument list begins right after it. Then the callee is exactly that identifier or
 * attribute, and its node (three crossings into wasm) need not be read. Only in trees without syntax errors,
 * where nodes are what the grammar says; null when the structural path must decide. Only calls have an
 * `arguments` field, so any other node gets null here.
 */
function plainCalleeText(call: Node): string | null {
  let clean = errorFree.get(call.tree);
  if (clean === undefined) {
    clean = !call.tree.rootNode.hasError;
    errorFree.set(call.tree, clean);
  }
  if (!clean) return null;
  const text = callText(call);
  const match = LEADING_DOTTED.exec(text);
  if (!match || text.charCodeAt(match[0].length) !== 0x28 /* ( */) return null;
  const name = match[0];
  if (!name.includes('.') && KEYWORDS.has(name)) return null;
  const args = call.childForFieldName('arguments');
  return args && args.startIndex === call.startIndex + name.length ? name : null;
}

/** The called name, e.g. `nn.DataParallel`; null for calls of calls or subscripts. */
export function calleeName(call: Node): string | null {
  const { calleeNames } = memoOf(call);
  let name = calleeNames.get(call.id);
  if (name === undefined) {
    const plain = plainCalleeText(call);
    const callee = plain === null ? calleeOf(call) : null;
    if (plain !== null) {
      name = plain;
    } else if (callee?.type === 'identifier' || callee?.type === 'attribute') {
      // Most callees are written plainly (`torch.nn.DataParallel`): their text is the name, with no walk down the
      // attribute chain. Anything else (spaces, comments, calls or subscripts inside) takes the structural path.
      const text = callee.text;
      name = PLAIN_DOTTED.test(text) ? text : dottedName(callee);
    } else {
      name = null;
    }
    calleeNames.set(call.id, name);
  }
  return name;
}

/** The last segment of the callee: `zero_grad` for `optimizer.zero_grad(...)`, even when the receiver is an expression. */
export function calleeMethod(call: Node): string | null {
  const { calleeMethods } = memoOf(call);
  let method = calleeMethods.get(call.id);
  if (method !== undefined) return method;
  const name = calleeName(call);
  if (name !== null) {
    method = name.slice(name.lastIndexOf('.') + 1);
  } else {
    const callee = calleeOf(call);
    method = callee?.type === 'attribute' ? (callee.childForFieldName('attribute')?.text ?? null) : null;
  }
  calleeMethods.set(call.id, method);
  return method;
}

/** The receiver of a method call: `optimizer` in `optimizer.zero_grad()`. */
export function receiverOf(call: Node): Node | null {
  const callee = calleeOf(call);
  return callee?.type === 'attribute' ? callee.childForFieldName('object') : null;
}

export function argumentList(call: Node): Node | null {
  return argumentTable(call).list;
}

export function keywordArgument(call: Node, name: string): Node | null {
  // A keyword argument's name is written out in the call's text: where it is not, the argument list need not be read
  // (a walk through wasm). Rules ask most calls of a file for keywords that few of them have.
  if (!memoOf(call).argumentTables.has(call.id) && !callText(call).includes(name)) return null;
  return argumentTable(call).keywords.get(name) ?? null;
}

export function keywordValue(call: Node, name: string): Node | null {
  return keywordArgument(call, name)?.childForFieldName('value') ?? null;
}

export function positionalArguments(call: Node): Node[] {
  return argumentTable(call).positional;
}

export function dictionarySplats(call: Node): Node[] {
  return argumentTable(call).splats;
}

export function hasListSplat(call: Node): boolean {
  return argumentTable(call).hasListSplat;
}

/** Every descendant of one of `types`, in document order; skips nothing. */
export function descendantsOfType(node: Node, types: string | readonly string[]): Node[] {
  return node.descendantsOfType(types as string | string[]).filter((n): n is Node => n !== null);
}

/** The entry that sets a dict value: its `"key": value` pair or the `key=value` argument of `dict(...)`; else the value. */
export function dictEntryOf(value: Node): Node {
  const parent = value.parent;
  return parent && (parent.type === 'pair' || parent.type === 'keyword_argument') ? parent : value;
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

/** The name a parameter binds: `x`, `x=1`, `x: int`, `x: int = 1`, `*args`, `**kwargs`; null for `*` and `/` markers. */
export function parameterNameOf(parameter: Node): string | null {
  if (parameter.type === 'identifier') return parameter.text;
  const name = parameter.childForFieldName('name') ?? parameter.namedChildren[0];
  return name?.type === 'identifier' ? name.text : null;
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
