/**
 * VALUE-RESOLUTION: what a careful reader can tell about an expression's value without running the file —
 * literals, module-level constants, single local assignments, argparse defaults for `args.x`, and dict
 * literals splatted into calls with `**`. Anything else is `unknown`, and rules about a missing or
 * wrong argument stay silent on unknown values.
 */
import type { Node } from 'web-tree-sitter';
import { sameValue, type ConfigOverrides, type Override } from './configOverrides';
import {
  argumentList,
  calleeMethod,
  calleeName,
  descendantsOfType,
  enclosingFunction,
  keywordValue,
  parameterNameOf,
  positionalArguments,
  stringLiteralPrefix,
  stringLiteralValue,
} from './syntax';

export type Value =
  | { kind: 'bool'; value: boolean }
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'none' }
  | { kind: 'unknown' };

export interface ResolveOptions {
  /** Follow `args.x` to its argparse default (default true). */
  cliDefaults?: boolean;
}

const UNKNOWN: Value = { kind: 'unknown' };
const MAX_DEPTH = 8;

/** A call argument looked up by keyword (and optionally position), after `**` splats are resolved. */
export type ArgumentLookup =
  | { state: 'present'; node: Node }
  | { state: 'absent' }
  /** A `**` splat (or `*args`) that could not be resolved might supply it. */
  | { state: 'unknown' };

interface Assignment {
  statement: Node;
  value: Node;
}

export class ValueResolver {
  /** Bindings per scope: the module (key -1) and each function (its node id). */
  private scopes: Map<number, Map<string, Assignment[]>> | undefined;
  private argparse: Map<string, Node | boolean> | undefined;
  private readonly checkingOverrides = new Set<string>();

  constructor(
    private readonly root: Node,
    private readonly calls: () => readonly Node[] = () => descendantsOfType(root, 'call'),
    private readonly assignments: () => readonly Node[] = () => descendantsOfType(root, 'assignment'),
    /** Globals that nanoGPT-style `config/*.py` files re-assign (configOverrides.ts); a global they change is unknown. */
    private readonly overrides: () => ConfigOverrides | null = () => null,
    /**
     * The file's `function_definition` and `class_definition` nodes, each list in document order (already indexed by
     * the analysis): scopes are then found by position instead of walking up parents, a walk through wasm per step.
     */
    private readonly definitions?: () => { functions: readonly Node[]; classes: readonly Node[] },
  ) {}

  private scopeIndex: ScopeIndex | null | undefined;

  private scopesByPosition(): ScopeIndex | null {
    if (this.scopeIndex === undefined) this.scopeIndex = this.definitions ? new ScopeIndex(this.definitions()) : null;
    return this.scopeIndex;
  }

  /** `enclosingFunction`, by position when the definitions are known. */
  private functionOf(node: Node): Node | null {
    const index = this.scopesByPosition();
    if (!index) return enclosingFunction(node);
    const start = node.startIndex;
    const end = node.endIndex;
    // An empty node (a missing token) at a definition's end may lie inside it or after it: only its parents can tell.
    return end > start ? index.innermost(start, end, index.functions) : enclosingFunction(node);
  }

  /**
   * The value of an expression. With `cliDefaults: false` a command-line argument (`args.x`) stays
   * unknown: a setting the user chooses at launch is delegated, whatever its default.
   */
  resolve(node: Node | null, options: ResolveOptions = {}, depth = 0): Value {
    if (!node || depth > MAX_DEPTH) return UNKNOWN;
    switch (node.type) {
      case 'true':
        return { kind: 'bool', value: true };
      case 'false':
        return { kind: 'bool', value: false };
      case 'none':
        return { kind: 'none' };
      case 'integer':
      case 'float': {
        const value = Number(node.text.replace(/_/g, ''));
        return Number.isFinite(value) ? { kind: 'number', value } : UNKNOWN;
      }
      case 'string':
      case 'concatenated_string': {
        const value = stringLiteralValue(node);
        return value === null ? UNKNOWN : { kind: 'string', value };
      }
      case 'unary_operator': {
        const operand = this.resolve(node.childForFieldName('argument'), options, depth + 1);
        const operator = node.childForFieldName('operator')?.text;
        if (operand.kind === 'number' && operator === '-') return { kind: 'number', value: -operand.value };
        if (operand.kind === 'number' && operator === '+') return operand;
        return UNKNOWN;
      }
      case 'not_operator': {
        const operand = this.resolve(node.childForFieldName('argument'), options, depth + 1);
        return operand.kind === 'bool' ? { kind: 'bool', value: !operand.value } : UNKNOWN;
      }
      case 'parenthesized_expression':
        return this.resolve(node.namedChildren[0] ?? null, options, depth + 1);
      case 'identifier':
        return this.resolve(this.definitionOf(node), options, depth + 1);
      case 'attribute': {
        if (options.cliDefaults === false) return UNKNOWN;
        const fallback = this.argparseDefault(node);
        if (typeof fallback === 'boolean') return { kind: 'bool', value: fallback };
        return this.resolve(fallback, options, depth + 1);
      }
      case 'call': {
        const name = calleeName(node);
        if (name === 'int' || name === 'float' || name === 'bool') {
          const inner = this.resolve(positionalArguments(node)[0] ?? null, options, depth + 1);
          if (inner.kind === 'number' && name === 'bool') return { kind: 'bool', value: inner.value !== 0 };
          if (inner.kind === 'number' || inner.kind === 'bool') return inner.kind === 'bool' && name !== 'bool'
            ? { kind: 'number', value: inner.value ? 1 : 0 }
            : inner;
        }
        return UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  /**
   * Every string the expression may evaluate to, following conditional expressions, names and
   * `torch.device(...)`; an f-string contributes its literal prefix. Null when any branch is unknown.
   */
  possibleStrings(node: Node | null, depth = 0): Set<string> | null {
    if (!node || depth > MAX_DEPTH) return null;
    switch (node.type) {
      case 'string': {
        const prefix = stringLiteralPrefix(node);
        return prefix === null ? null : new Set([prefix]);
      }
      case 'conditional_expression': {
        const [whenTrue, , whenFalse] = node.namedChildren;
        const a = this.possibleStrings(whenTrue ?? null, depth + 1);
        const b = this.possibleStrings(whenFalse ?? null, depth + 1);
        if (!a && !b) return null;
        return new Set([...(a ?? []), ...(b ?? [])]);
      }
      case 'parenthesized_expression':
        return this.possibleStrings(node.namedChildren[0] ?? null, depth + 1);
      case 'identifier':
        return this.possibleStrings(this.definitionOf(node), depth + 1);
      case 'attribute': {
        const fallback = this.argparseDefault(node);
        return typeof fallback === 'boolean' ? null : this.possibleStrings(fallback, depth + 1);
      }
      case 'call': {
        const name = calleeName(node);
        if (name === 'torch.device' || name === 'device') {
          return this.possibleStrings(positionalArguments(node)[0] ?? keywordValue(node, 'type'), depth + 1);
        }
        return null;
      }
      default:
        return null;
    }
  }

  /** The expression a name was last bound to where that is unambiguous; null otherwise. */
  definitionOf(identifier: Node): Node | null {
    const name = identifier.text;
    const fn = this.functionOf(identifier);
    if (fn) {
      const local = this.assignmentsIn(fn).get(name);
      if (local && local.length > 0) {
        const before = local.filter((a) => a.statement.startIndex < identifier.startIndex);
        return before.length === 1 ? before[0]!.value : null;
      }
      if (isParameter(fn, name)) return null;
    }
    const global = this.moduleAssignmentsMap().get(name);
    if (!global || global.length === 0) return null;
    let definition: Node | null;
    if (global.length === 1) definition = global[0]!.value;
    else {
      // Several module-level bindings: usable only when they all agree.
      const texts = new Set(global.map((a) => a.value.text));
      definition = texts.size === 1 ? global[0]!.value : null;
    }
    if (definition && this.overriddenValues(identifier, global, definition).length > 0) return null;
    return definition;
  }

  /**
   * The values config files give a global where they differ from the script's own (empty when none, or when
   * every config agrees with the script): for rules that want to name the alternatives of an unknown value.
   */
  overridesOf(identifier: Node): Override[] {
    if (identifier.type !== 'identifier') return [];
    const fn = this.functionOf(identifier);
    if (fn && (this.assignmentsIn(fn).has(identifier.text) || isParameter(fn, identifier.text))) return [];
    const global = this.moduleAssignmentsMap().get(identifier.text);
    if (!global || global.length === 0) return [];
    return this.overriddenValues(identifier, global, global[0]!.value);
  }

  private overriddenValues(identifier: Node, bindings: readonly Assignment[], definition: Node): Override[] {
    const overrides = this.overrides();
    const list = overrides?.globals.get(identifier.text);
    if (!overrides || !list || this.checkingOverrides.has(identifier.text)) return [];
    const exec = overrides.exec;
    // Read before the configurator runs (module level, above it), or re-assigned after it: the script's value holds.
    if (!this.functionOf(identifier) && identifier.startIndex < exec.startIndex) return [];
    if (bindings.some((binding) => binding.statement.startIndex > exec.startIndex)) return [];
    // Resolving the script's own value may lead back here through other globals (`a = b`, `b = a`).
    this.checkingOverrides.add(identifier.text);
    try {
      const own = this.resolve(definition);
      return list.filter((override) => !sameValue(override.value, own));
    } finally {
      this.checkingOverrides.delete(identifier.text);
    }
  }

  /** `args.lr` → the `default=` of `add_argument("--lr", ...)` (store_true → false); null when unknown. */
  argparseDefault(attribute: Node): Node | boolean | null {
    const attr = attribute.childForFieldName('attribute')?.text;
    if (!attr) return null;
    return this.argparseDefaults().get(attr) ?? null;
  }

  /** Looks up a call argument by keyword (and position), resolving `**dict` splats where possible. */
  argument(call: Node, keyword: string, position?: number): ArgumentLookup {
    const direct = keywordValue(call, keyword);
    if (direct) return { state: 'present', node: direct };
    if (position !== undefined) {
      const positional = positionalArguments(call)[position];
      if (positional) return { state: 'present', node: positional };
    }
    const args = argumentList(call);
    if (!args) return { state: 'absent' };
    let unresolved = false;
    for (const child of args.namedChildren) {
      if (!child) continue;
      if (child.type === 'list_splat' && position !== undefined) unresolved = true;
      if (child.type !== 'dictionary_splat') continue;
      const keys = this.dictionaryKeys(child.namedChildren[0] ?? null);
      if (!keys) {
        unresolved = true;
        continue;
      }
      const value = keys.get(keyword);
      if (value) return { state: 'present', node: value };
    }
    return unresolved ? { state: 'unknown' } : { state: 'absent' };
  }

  /** Keys of a dict built from literals (`{...}`, `dict(...)`, later `.update(...)` / `d["k"] = v`); null when not knowable. */
  dictionaryKeys(expression: Node | null, depth = 0): Map<string, Node> | null {
    if (!expression || depth > MAX_DEPTH) return null;
    if (expression.type === 'dictionary') return literalDictKeys(expression);
    if (expression.type === 'call' && calleeName(expression) === 'dict') return dictCallKeys(expression);
    if (expression.type !== 'identifier') return null;
    const name = expression.text;
    const fn = this.functionOf(expression);
    const localBindings = fn ? this.assignmentsIn(fn).get(name) : undefined;
    const scope = localBindings ? fn! : this.root;
    const bindings = localBindings ?? this.moduleAssignmentsMap().get(name);
    if (bindings?.length !== 1) return null;
    const keys = this.dictionaryKeys(bindings[0]!.value, depth + 1);
    if (!keys) return null;
    // Mutations in the same scope add keys: `d.update(k=v)`, `d.update({...})`, `d["k"] = v`.
    for (const call of descendantsOfType(scope, 'call')) {
      if (calleeName(call) !== `${name}.update`) continue;
      const [first] = positionalArguments(call);
      const added = first ? this.dictionaryKeys(first, depth + 1) : dictCallKeys(call);
      if (!added) return null;
      for (const [key, value] of added) keys.set(key, value);
    }
    for (const assignment of descendantsOfType(scope, 'assignment')) {
      const left = assignment.childForFieldName('left');
      if (left?.type !== 'subscript' || left.childForFieldName('value')?.text !== name) continue;
      const key = left.childForFieldName('subscript');
      const keyText = key ? stringLiteralValue(key) : null;
      const value = assignment.childForFieldName('right');
      if (keyText === null || !value) return null;
      keys.set(keyText, value);
    }
    return keys;
  }

  private moduleAssignmentsMap(): Map<string, Assignment[]> {
    return this.bindings().get(MODULE_SCOPE) ?? EMPTY_BINDINGS;
  }

  private assignmentsIn(fn: Node): Map<string, Assignment[]> {
    return this.bindings().get(fn.id) ?? EMPTY_BINDINGS;
  }

  /**
   * One pass over the file's assignment statements (already indexed by the analysis), each filed under the
   * function that owns it or the module; class bodies are skipped, as their names are attributes, not bindings.
   */
  private bindings(): Map<number, Map<string, Assignment[]>> {
    if (this.scopes) return this.scopes;
    const scopes = new Map<number, Map<string, Assignment[]>>();
    const add = (scope: number, name: string, assignment: Assignment) => {
      let names = scopes.get(scope);
      if (!names) scopes.set(scope, (names = new Map()));
      const list = names.get(name);
      if (list) list.push(assignment);
      else names.set(name, [assignment]);
    };
    const index = this.scopesByPosition();
    for (const expression of this.assignments()) {
      const statement = expression.parent;
      if (statement?.type !== 'expression_statement') continue;
      const scope = index ? index.owningScope(statement) : owningScope(statement);
      if (scope === null) continue;
      const left = expression.childForFieldName('left');
      const right = expression.childForFieldName('right');
      if (left?.type === 'identifier' && right) {
        add(scope, left.text, { statement, value: right });
      } else if (left && (left.type === 'pattern_list' || left.type === 'tuple_pattern')) {
        // `a, b = ...` binds names to values we cannot see: record them as unknowable.
        for (const target of left.namedChildren) {
          if (target?.type === 'identifier') add(scope, target.text, { statement, value: target });
        }
      }
    }
    this.scopes = scopes;
    return scopes;
  }

  private argparseDefaults(): Map<string, Node | boolean> {
    if (this.argparse) return this.argparse;
    const defaults = new Map<string, Node | boolean>();
    for (const call of this.calls()) {
      if (calleeMethod(call) !== 'add_argument') continue;
      const dest = argparseDest(call);
      if (!dest) continue;
      const explicit = keywordValue(call, 'default');
      const action = keywordValue(call, 'action');
      const actionText = action ? stringLiteralValue(action) : null;
      if (explicit) defaults.set(dest, explicit);
      else if (actionText === 'store_true') defaults.set(dest, false);
      else if (actionText === 'store_false') defaults.set(dest, true);
    }
    this.argparse = defaults;
    return defaults;
  }
}

const MODULE_SCOPE = -1;
const EMPTY_BINDINGS: Map<string, Assignment[]> = new Map();

/**
 * Function and class definitions sorted by position. A node lies inside a definition exactly when its range does
 * (tree-sitter nests children inside their parent's range and siblings never overlap), so the innermost definition
 * around a node is the last one, in document order, that starts before it and still contains it.
 */
class ScopeIndex {
  readonly functions: Bounds;
  private readonly both: Bounds;
  private readonly functionIds: ReadonlySet<number>;

  constructor({ functions, classes }: { functions: readonly Node[]; classes: readonly Node[] }) {
    this.functions = boundsOf(functions);
    this.functionIds = new Set(functions.map((fn) => fn.id));
    this.both = boundsOf([...functions, ...classes].sort((a, b) => a.startIndex - b.startIndex));
  }

  /** The innermost of `definitions` containing the non-empty range `start`–`end` (never the node spanning it itself). */
  innermost(start: number, end: number, definitions: Bounds): Node | null {
    // A definition starting at or after `start` cannot contain the range (one starting there is the node itself or inside it).
    let lo = 0;
    let hi = definitions.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (definitions.starts[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      if (definitions.ends[i]! >= end) return definitions.nodes[i]!;
    }
    return null;
  }

  /** `owningScope` by position; by parents for an empty statement (see `functionOf`). */
  owningScope(statement: Node): number | null {
    const start = statement.startIndex;
    const end = statement.endIndex;
    if (end <= start) return owningScope(statement);
    const scope = this.innermost(start, end, this.both);
    if (!scope) return MODULE_SCOPE;
    return this.functionIds.has(scope.id) ? scope.id : null;
  }
}

/** Definitions in document order with their start and end read once (each read is a call into wasm). */
interface Bounds {
  nodes: readonly Node[];
  starts: Int32Array;
  ends: Int32Array;
}

function boundsOf(nodes: readonly Node[]): Bounds {
  return { nodes, starts: Int32Array.from(nodes, (node) => node.startIndex), ends: Int32Array.from(nodes, (node) => node.endIndex) };
}

/** The function (node id) or module (MODULE_SCOPE) a statement binds in; null inside a class body. */
function owningScope(statement: Node): number | null {
  for (let p = statement.parent; p; p = p.parent) {
    if (p.type === 'function_definition') return p.id;
    if (p.type === 'class_definition') return null;
  }
  return MODULE_SCOPE;
}

function isParameter(fn: Node, name: string): boolean {
  return (fn.childForFieldName('parameters')?.namedChildren ?? []).some((parameter) => !!parameter && parameterNameOf(parameter) === name);
}

function argparseDest(call: Node): string | null {
  const dest = keywordValue(call, 'dest');
  if (dest) return stringLiteralValue(dest);
  const names = positionalArguments(call)
    .map((node) => stringLiteralValue(node))
    .filter((name): name is string => name !== null);
  const long = names.find((name) => name.startsWith('--')) ?? names.find((name) => !name.startsWith('-'));
  if (!long) return null;
  return long.replace(/^-+/, '').replace(/-/g, '_');
}

function literalDictKeys(dictionary: Node): Map<string, Node> | null {
  const keys = new Map<string, Node>();
  for (const child of dictionary.namedChildren) {
    if (!child || child.type === 'comment') continue;
    if (child.type !== 'pair') return null;
    const key = child.childForFieldName('key');
    const value = child.childForFieldName('value');
    const keyText = key ? stringLiteralValue(key) : null;
    if (keyText === null || !value) return null;
    keys.set(keyText, value);
  }
  return keys;
}

function dictCallKeys(call: Node): Map<string, Node> | null {
  const args = argumentList(call);
  const keys = new Map<string, Node>();
  if (!args) return keys;
  for (const child of args.namedChildren) {
    if (!child || child.type === 'comment') continue;
    if (child.type !== 'keyword_argument') return null;
    const name = child.childForFieldName('name')?.text;
    const value = child.childForFieldName('value');
    if (!name || !value) return null;
    keys.set(name, value);
  }
  return keys;
}
