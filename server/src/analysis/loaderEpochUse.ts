/**
 * Whether a DataLoader is iterated once per epoch: followed from where it is built through its name (and the names it
 * is re-bound to, `model, loader = accelerator.prepare(model, loader)`) to the loops that iterate it, into local
 * functions it is passed to (`train_one_epoch(model, loader)`), and up from a function to the loops that call it.
 * A test loader read once after training (`for x, y in test_loader:` at the end of a notebook cell) is not.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from './context';
import { calleeMethod, calleeName, contains, descendantsOfType, enclosingClass, enclosingFunction, parameterNameOf, positionalArguments, receiverOf } from './syntax';

/**
 * `per-epoch`: some use iterates it inside an epoch loop; `once`: every use is followed and none is; `unknown`: a
 * use leads where this file cannot follow (a dict, a return, an imported function, a Trainer's `fit`).
 */
export type EpochUse = 'per-epoch' | 'once' | 'unknown';

/** Calls that read a loader without iterating it. */
const NOT_ITERATING = new Set(['len', 'print', 'str', 'repr', 'type', 'isinstance', 'id', 'hasattr', 'getattr', 'vars']);
/** Calls whose argument is iterated right there: `next(iter(loader))`, `list(loader)`. */
const ITERATING = new Set(['iter', 'next', 'list', 'tuple', 'enumerate', 'zip', 'sum', 'any', 'all', 'sorted']);
/** Expression nodes a reference may sit inside on its way up to the loop that iterates it. */
const EXPRESSION_PARENTS = new Set(['argument_list', 'keyword_argument', 'call', 'parenthesized_expression', 'tuple', 'expression_list', 'attribute']);
const MAX_DEPTH = 3;
/** Where a name is declared rather than read: `def f(loader, n=1, x: int)`, `global loader`. */
const DECLARATIONS = new Set(['parameters', 'default_parameter', 'typed_parameter', 'typed_default_parameter', 'lambda_parameters', 'global_statement', 'nonlocal_statement']);
/** The receiver of an optimizer step: `optimizer.step()`, `opt_d.step()`, `scaler.step(optimizer)`. */
const OPTIMIZER = /opt|scaler/i;

export class LoaderEpochUse {
  private readonly epochLoopIds: Set<number>;
  private readonly inEpochCache = new Map<number, boolean>();
  readonly hasEpochLoop: boolean;

  constructor(
    private readonly context: AnalysisContext,
    epochLoops: readonly Node[],
  ) {
    this.epochLoopIds = new Set(epochLoops.map((loop) => loop.id));
    this.hasEpochLoop = epochLoops.length > 0;
    // A loop that takes an optimizer step in each of its own iterations (a federated round loop stepping the server
    // optimizer) repeats as an epoch loop does; a sweep whose steps all sit in nested loops (`for lr in [...]:` around
    // a whole training run) does not.
    for (const call of context.calls()) {
      if (calleeMethod(call) !== 'step' || !OPTIMIZER.test(receiverOf(call)?.text ?? '')) continue;
      for (let p = call.parent; p; p = p.parent) {
        if (p.type === 'function_definition' || p.type === 'class_definition' || p.type === 'lambda') break;
        if (p.type === 'for_statement' || p.type === 'while_statement') {
          this.epochLoopIds.add(p.id);
          break;
        }
      }
    }
  }

  /** How the loader built by `call` (a `DataLoader(...)` not inside any loop) is used. */
  of(call: Node): EpochUse {
    return this.reference(call, false, 0, new Set());
  }

  /** One use of the loader: `node` evaluates to it. `outerEpoch`: the function holding it runs once per epoch. */
  private reference(node: Node, outerEpoch: boolean, depth: number, visited: Set<string>): EpochUse {
    const parent = node.parent;
    if (!parent) return 'unknown';
    // `loader.dataset`, `loader.sampler.set_epoch(epoch)`: read, not iterated.
    if (parent.type === 'attribute' && parent.childForFieldName('object')?.id === node.id) return 'once';
    const site = this.iterationSite(node);
    if (site) return outerEpoch || this.inEpoch(site, 0) ? 'per-epoch' : 'once';
    if (parent.type === 'assignment' && parent.childForFieldName('right')?.id === node.id) {
      return this.rebound(parent.childForFieldName('left'), null, outerEpoch, depth, visited);
    }
    const call = parent.type === 'argument_list' ? parent.parent : parent.type === 'keyword_argument' && parent.childForFieldName('value')?.id === node.id ? parent.parent?.parent : null;
    if (call?.type !== 'call') return 'unknown';
    const name = calleeName(call) ?? '';
    const method = calleeMethod(call) ?? '';
    if (NOT_ITERATING.has(name)) return 'once';
    if (ITERATING.has(name)) return outerEpoch || this.inEpoch(call, 0) ? 'per-epoch' : 'once';
    const repeated = outerEpoch || this.inEpoch(call, 0);
    const local = !name.includes('.') || name.startsWith('self.') ? this.localFunction(method) : null;
    if (local) {
      const parameter = this.parameterFor(local, call, node, parent);
      if (!parameter || depth >= MAX_DEPTH) return 'unknown';
      return this.name(parameter, local, repeated, depth + 1, visited);
    }
    // `trainer.fit(model, loader)` runs as many epochs as the Trainer is given, which a rule about loaders does not
    // read: left to the file-level judgement, as before.
    if (method === 'fit') return 'unknown';
    const assignment = call.parent;
    if (assignment?.type === 'assignment' && assignment.childForFieldName('right')?.id === call.id) {
      const index = parent.type === 'argument_list' ? positionalArguments(call).findIndex((argument) => argument.id === node.id) : -1;
      return this.rebound(assignment.childForFieldName('left'), index, repeated, depth, visited);
    }
    // Handed every epoch to something this file does not define (`evaluate(model, val_loader)` from a utils module).
    return repeated ? 'per-epoch' : 'unknown';
  }

  /** The `for` (or comprehension) whose iterable holds `node`, through wrapping calls (`enumerate(tqdm(loader))`). */
  private iterationSite(node: Node): Node | null {
    let child = node;
    for (let p = node.parent; p; child = p, p = p.parent) {
      if ((p.type === 'for_statement' || p.type === 'for_in_clause') && p.childForFieldName('right')?.id === child.id) return p;
      if (!EXPRESSION_PARENTS.has(p.type)) return null;
      // Only through a call's arguments, never up out of its receiver (`loader.dataset` was handled above).
      if (p.type === 'call' && p.childForFieldName('arguments')?.id !== child.id) return null;
      const callee = p.type === 'call' ? calleeName(p) ?? '' : '';
      if (NOT_ITERATING.has(callee)) return null;
    }
    return null;
  }

  /** The loader now also goes by the name(s) assigned: `loader = prepare(loader)`, `m, loader = prepare(m, loader)`. */
  private rebound(left: Node | null, index: number | null, outerEpoch: boolean, depth: number, visited: Set<string>): EpochUse {
    if (!left || depth >= MAX_DEPTH) return 'unknown';
    let targets: Node[];
    if (left.type === 'identifier' || left.type === 'attribute') targets = [left];
    else if (left.type === 'pattern_list' || left.type === 'tuple_pattern') {
      const names = left.namedChildren.filter((child): child is Node => !!child);
      targets = index !== null && index >= 0 && index < names.length ? [names[index]!] : names;
    } else return 'unknown';
    const uses: EpochUse[] = [];
    for (const target of targets) {
      if (target.type !== 'identifier' && target.type !== 'attribute') return 'unknown';
      const scope = target.text.startsWith('self.') ? enclosingClass(target) : enclosingFunction(target);
      uses.push(this.name(target.text, scope, outerEpoch, depth + 1, visited));
    }
    return combine(uses);
  }

  /** Every use of a name in the scope that sees it (a function, a class for `self.x`, the whole file for a global). */
  private name(name: string, scope: Node | null, outerEpoch: boolean, depth: number, visited: Set<string>): EpochUse {
    const key = `${name}@${scope?.id ?? -1}@${outerEpoch}`;
    if (visited.has(key)) return 'once';
    visited.add(key);
    const root = scope ?? this.context.root;
    const type = name.includes('.') ? 'attribute' : 'identifier';
    const uses: EpochUse[] = [];
    const candidates = type === 'identifier' ? identifiersSpelled(this.context, root, name) : descendantsOfType(root, type);
    for (const node of candidates) {
      if (node.text !== name || isBinding(node)) continue;
      if (!scope && type === 'identifier' && this.shadowed(node, name)) continue;
      uses.push(this.reference(node, outerEpoch, depth, visited));
      if (uses[uses.length - 1] === 'per-epoch') return 'per-epoch';
    }
    return combine(uses);
  }

  /** A global's name re-bound inside a function (a parameter or a local of the same name) is another variable there. */
  private shadowed(node: Node, name: string): boolean {
    const fn = enclosingFunction(node);
    if (!fn) return false;
    const parameters = fn.childForFieldName('parameters')?.namedChildren ?? [];
    if (parameters.some((parameter) => parameter && parameterNameOf(parameter) === name)) return true;
    return descendantsOfType(fn, 'assignment').some((assignment) => assignment.childForFieldName('left')?.text === name) &&
      !descendantsOfType(fn, 'global_statement').some((statement) => statement.text.includes(name));
  }

  private localFunction(name: string): Node | null {
    if (!name) return null;
    return this.context.nodesOfType('function_definition').find((fn) => fn.childForFieldName('name')?.text === name) ?? null;
  }

  /** The parameter of `fn` that receives `argument` at this call. */
  private parameterFor(fn: Node, call: Node, argument: Node, holder: Node): string | null {
    const names = (fn.childForFieldName('parameters')?.namedChildren ?? []).map((p) => (p ? parameterNameOf(p) : null));
    if (holder.type === 'keyword_argument') {
      const keyword = holder.childForFieldName('name')?.text ?? null;
      return keyword && names.includes(keyword) ? keyword : null;
    }
    const index = positionalArguments(call).findIndex((candidate) => candidate.id === argument.id);
    const offset = names[0] === 'self' || names[0] === 'cls' ? 1 : 0;
    return index === -1 ? null : names[index + offset] ?? null;
  }

  /** Inside the body of an epoch loop, or in a function some call of which is (two levels of callers). */
  private inEpoch(node: Node, depth: number): boolean {
    const cached = depth === 0 ? this.inEpochCache.get(node.id) : undefined;
    if (cached !== undefined) return cached;
    let verdict = false;
    let child = node;
    for (let p = node.parent; p; child = p, p = p.parent) {
      if (this.epochLoopIds.has(p.id) && p.childForFieldName('body')?.id === child.id) {
        verdict = true;
        break;
      }
      if (p.type === 'function_definition') {
        const fnName = p.childForFieldName('name')?.text;
        if (fnName && depth < 2) {
          const fn = p;
          verdict = this.context.calls().some((site) => calleeMethod(site) === fnName && !contains(fn, site) && this.inEpoch(site, depth + 1));
        }
        break;
      }
    }
    if (depth === 0) this.inEpochCache.set(node.id, verdict);
    return verdict;
  }
}

/**
 * The identifiers spelled `name` inside `scope`, found from the source text (a word search, then the node at each hit)
 * instead of walking and marshalling every identifier of the scope: a file with ten loaders would walk it ten times.
 * Hits inside strings and comments, or inside a longer name, are not identifiers starting there and are dropped.
 */
function identifiersSpelled(context: AnalysisContext, scope: Node, name: string): Node[] {
  const found: Node[] = [];
  const word = new RegExp(`(?<![\\w])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`, 'g');
  word.lastIndex = scope.startIndex;
  for (let hit = word.exec(context.text); hit && hit.index < scope.endIndex; hit = word.exec(context.text)) {
    const node = context.root.descendantForIndex(hit.index, hit.index + name.length);
    if (node?.type === 'identifier' && node.startIndex === hit.index && node.endIndex === hit.index + name.length) found.push(node);
  }
  return found;
}

/** Where the name is assigned, or a keyword's name (`fit(train_dataloaders=…)`), rather than read. */
function isBinding(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (DECLARATIONS.has(parent.type)) return true;
  if (parent.type === 'keyword_argument' && parent.childForFieldName('name')?.id === node.id) return true;
  // The `loader` in `self.loader` or `x.loader` is an attribute name, not the variable.
  if (parent.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id) return true;
  for (let p: Node | null = parent, child = node; p; child = p, p = p.parent) {
    if (p.type === 'assignment' || p.type === 'augmented_assignment') return p.childForFieldName('left')?.id === child.id;
    if (p.type !== 'pattern_list' && p.type !== 'tuple_pattern') return false;
  }
  return false;
}

function combine(uses: readonly EpochUse[]): EpochUse {
  if (uses.includes('per-epoch')) return 'per-epoch';
  return uses.includes('unknown') ? 'unknown' : 'once';
}
