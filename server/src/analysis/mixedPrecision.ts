/**
 * Which step loops of a file train in mixed precision. GA101 judges each training loop: a notebook that runs an
 * fp32 baseline and then the same model under autocast has one loop to report. Every sign of reduced precision
 * (autocast, GradScaler, a half-precision cast) is tied to the loops it governs — the loops it lies in or wraps,
 * the step functions and helpers they call, the loops that use the name it is bound to — and one that cannot be
 * tied to any loop (autocast inside the model's forward, a context built by a helper) is taken to govern them all,
 * as is a global default dtype or apex `amp.initialize`. A loop is then reported only when every sign that could
 * concern it clearly belongs to another loop.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from './context';
import { calleeMethod, calleeName, contains, descendantsOfType, enclosingClass, enclosingFunction, keywordValue, LOOP_TYPES, positionalArguments, receiverOf } from './syntax';
import { resolveLocalFunction, type StepLoop } from './trainingLoop';

const HALF_DTYPES = /^torch\.(float16|half|bfloat16)$/;
/** How many calls deep a loop's helpers are followed (`train_step` → `forward_loss` → ...). */
const MAX_CALL_DEPTH = 3;

type Signal = { node: Node; scope: 'file' | 'local' };

/** Reduced-precision signs: calls of autocast/GradScaler/half casts, and `autocast` handed on uncalled (`partial(torch.autocast, …)`). */
export function precisionSignals(context: AnalysisContext): Signal[] {
  const signals = precisionCalls(context);
  // `amp_autocast = partial(torch.autocast, ...)`, `ctx = torch.cuda.amp.autocast`: autocast chosen now, entered later.
  if (/autocast\b(?!\s*\()/.test(context.text)) {
    for (const reference of descendantsOfType(context.root, ['attribute', 'identifier'])) {
      if (!/(^|\.)autocast$/.test(reference.text) || reference.parent?.type === 'attribute') continue;
      if (isCallee(reference) || inImport(reference)) continue;
      signals.push({ node: reference, scope: 'local' });
    }
  }
  return signals;
}

/**
 * The calls among the signs: autocast, GradScaler, half casts, apex `amp.initialize`, a half-precision default dtype.
 * Any one of them means the file handles precision somewhere, or chooses it at run time (`autocast(enabled=args.amp)`).
 */
export function precisionCalls(context: AnalysisContext): Signal[] {
  const signals: Signal[] = [];
  for (const call of context.calls()) {
    const method = calleeMethod(call) ?? '';
    const name = context.qualifiedCallee(call) ?? '';
    if (method === 'autocast' || method === 'GradScaler' || method === 'half' || method === 'bfloat16') {
      signals.push({ node: call, scope: 'local' });
    } else if (name === 'apex.amp.initialize' || name.endsWith('amp.initialize')) {
      signals.push({ node: call, scope: 'file' });
    } else if (method === 'to' || method === 'set_default_dtype' || method === 'type') {
      const dtype = keywordValue(call, 'dtype') ?? positionalArguments(call).find((arg) => HALF_DTYPES.test(arg.text)) ?? null;
      if (dtype && HALF_DTYPES.test(dtype.text)) signals.push({ node: call, scope: method === 'set_default_dtype' ? 'file' : 'local' });
    }
  }
  return signals;
}

function isCallee(node: Node): boolean {
  return node.parent?.type === 'call' && node.parent.childForFieldName('function')?.id === node.id;
}

function inImport(node: Node): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'import_statement' || p.type === 'import_from_statement') return true;
    if (p.type === 'expression_statement' || p.type === 'block') return false;
  }
  return false;
}

/** The step loops that run in mixed precision, by loop node id. */
export function loopsInMixedPrecision(context: AnalysisContext, stepLoops: readonly StepLoop[]): Set<number> {
  const covered = new Set<number>();
  const signals = precisionSignals(context);
  if (signals.length === 0 || stepLoops.length === 0) return covered;
  const everyLoop = () => new Set(stepLoops.map((step) => step.loop.id));
  if (signals.some((signal) => signal.scope === 'file')) return everyLoop();
  const functions = context.nodesOfType('function_definition');
  const extents = new Map(stepLoops.map((step) => [step.loop.id, loopExtent(context, step, functions)]));
  for (const { node } of signals) {
    const governed = governedLoops(node, stepLoops, extents, functions);
    if (governed.length === 0) return everyLoop();
    for (const loop of governed) covered.add(loop.id);
  }
  return covered;
}

/** What runs as part of one step loop: the loop, the local functions and methods it calls (a few levels deep), and the `with` items around it. */
interface Extent {
  nodes: Node[];
  contexts: Node[];
}

function loopExtent(context: AnalysisContext, step: StepLoop, functions: readonly Node[]): Extent {
  const nodes: Node[] = [step.loop];
  const seen = new Set<number>([step.loop.id]);
  let frontier: Node[] = [step.loop, ...step.stepFunctions];
  for (const fn of step.stepFunctions) addDefinition(fn);
  for (let depth = 0; depth < MAX_CALL_DEPTH && frontier.length > 0; depth++) {
    const next: Node[] = [];
    for (const region of frontier) {
      for (const call of context.callsWithin(region)) {
        for (const fn of calledDefinitions(call, functions)) if (addDefinition(fn)) next.push(fn);
      }
    }
    frontier = next;
  }
  const contexts: Node[] = [];
  for (let p = step.loop.parent; p; p = p.parent) {
    if (p.type !== 'with_statement') continue;
    const clause = p.namedChildren.find((child) => child?.type === 'with_clause');
    if (clause) contexts.push(clause);
  }
  return { nodes, contexts };

  /** A function and its decorators (`@torch.autocast("cuda")` governs the body). */
  function addDefinition(fn: Node): boolean {
    const whole = fn.parent?.type === 'decorated_definition' ? fn.parent : fn;
    if (seen.has(whole.id)) return false;
    seen.add(whole.id);
    nodes.push(whole);
    return true;
  }
}

/** The definitions a call may run: a local function by its bare name, or `self.name(...)` among the methods of the caller's class. */
function calledDefinitions(call: Node, functions: readonly Node[]): Node[] {
  const name = calleeName(call);
  if (!name) return [];
  if (!name.includes('.')) {
    const fn = resolveLocalFunction(call, name, functions);
    return fn ? [fn] : [];
  }
  const match = /^self\.(\w+)$/.exec(name);
  if (!match) return [];
  const cls = enclosingClass(call);
  if (!cls) return [];
  return functions.filter((fn) => fn.childForFieldName('name')?.text === match[1] && enclosingClass(fn)?.id === cls.id);
}

/** The step loops a reduced-precision sign governs; empty when nothing ties it to any of them. */
function governedLoops(signal: Node, stepLoops: readonly StepLoop[], extents: ReadonlyMap<number, Extent>, functions: readonly Node[]): Node[] {
  const governed = new Map<number, Node>();
  const add = (loop: Node) => governed.set(loop.id, loop);
  // Inside the loop, a function it calls, or a `with` around it.
  for (const step of stepLoops) {
    const extent = extents.get(step.loop.id)!;
    if (extent.nodes.some((node) => contains(node, signal)) || extent.contexts.some((node) => contains(node, signal))) add(step.loop);
  }
  // The item of a `with` whose body holds the loop, or calls the local function that holds it.
  const statement = withStatementOfItem(signal);
  const body = statement?.childForFieldName('body');
  if (body) {
    const called = descendantsOfType(body, 'call').flatMap((call) => calledDefinitions(call, functions));
    for (const step of stepLoops) {
      if (contains(body, step.loop) || called.some((fn) => contains(fn, step.loop))) add(step.loop);
    }
  }
  // An outer loop (a sweep) that sets up the step loops it holds; a sign inside a step loop stays with that loop.
  const outerLoops: Node[] = [];
  for (let p = signal.parent; p; p = p.parent) if (LOOP_TYPES.has(p.type)) outerLoops.push(p);
  if (!outerLoops.some((loop) => stepLoops.some((step) => step.loop.id === loop.id))) {
    for (const loop of outerLoops) for (const step of stepLoops) if (contains(loop, step.loop)) add(step.loop);
  }
  // The name it is bound to (`scaler = GradScaler()`, `ctx = autocast(...)`, `model = Net().half()`) or casts in place
  // (`model.half()`), used by a loop after it — or around it, in a `with ctx:`.
  const name = boundName(signal);
  if (name) {
    const pattern = new RegExp(`(?<![\\w.])${name.replace(/\./g, '\\.')}(?!\\w)`);
    for (const step of stepLoops) {
      if (enclosingFunction(signal)?.id === enclosingFunction(step.loop)?.id && signal.startIndex > step.loop.endIndex) continue;
      const extent = extents.get(step.loop.id)!;
      if ([...extent.nodes, ...extent.contexts].some((node) => pattern.test(node.text))) add(step.loop);
    }
  }
  return [...governed.values()];
}

function withStatementOfItem(node: Node): Node | null {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'with_clause') return p.parent?.type === 'with_statement' ? p.parent : null;
    if (p.type === 'block' || p.type === 'expression_statement' || p.type === 'function_definition') return null;
  }
  return null;
}

/** `x` in `x = <...signal...>`; else the object a cast applies to (`model` in `model.cuda().half()`); null for neither. */
function boundName(signal: Node): string | null {
  for (let p = signal.parent; p; p = p.parent) {
    if (p.type === 'assignment') {
      const left = p.childForFieldName('left');
      return left && (left.type === 'identifier' || left.type === 'attribute') ? left.text : null;
    }
    if (p.type === 'expression_statement' || p.type === 'block' || p.type === 'with_statement' || LOOP_TYPES.has(p.type)) break;
  }
  if (signal.type !== 'call') return null;
  let receiver = receiverOf(signal);
  while (receiver?.type === 'call') receiver = receiverOf(receiver);
  return receiver && (receiver.type === 'identifier' || receiver.type === 'attribute') ? receiver.text : null;
}
