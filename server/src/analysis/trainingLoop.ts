/**
 * TRAIN-LOOP: a `for`/`while` whose body contains a backward call and an optimizer step, in the same function or in
 * a directly called local function (`for epoch in range(n): train()` where `train()` runs one step). The innermost
 * such loop is the step loop; rules about "missing X in the training loop" anchor on its backward call.
 */
import type { Node } from 'web-tree-sitter';
import { calleeMethod, calleeName, contains, descendantsOfType, LOOP_TYPES, receiverOf } from './syntax';

export interface StepLoop {
  loop: Node;
  /** In document order of discovery: the loop's own calls first, then those of the step functions it calls. */
  backwardCalls: Node[];
  stepCalls: Node[];
  /**
   * The local functions the loop calls that run a whole step (backward and optimizer step, no loop of their own
   * around both): their backward and step calls are in the lists above, outside `loop`. Empty for most loops.
   */
  stepFunctions: Node[];
}

const SCHEDULER_LIKE = /sched|lr_|warmup/i;

function isBackwardCall(call: Node): boolean {
  return calleeMethod(call) === 'backward' || calleeMethod(call) === 'manual_backward';
}

/** `optimizer.step()` / `scaler.step(optimizer)`: a `.step()` whose receiver is not a scheduler. */
export function isOptimizerStep(call: Node): boolean {
  if (calleeMethod(call) !== 'step') return false;
  const receiver = receiverOf(call);
  if (!receiver) return false;
  return !SCHEDULER_LIKE.test(receiver.text);
}

/** Calls inside `node`, not counting those in nested function or class definitions. */
export function ownCalls(node: Node): Node[] {
  return descendantsOfType(node, 'call').filter((call) => {
    for (let p = call.parent; p && p.id !== node.id; p = p.parent) {
      if (p.type === 'function_definition' || p.type === 'class_definition' || p.type === 'lambda') return false;
    }
    return true;
  });
}

const SCOPE_BOUNDARIES = new Set(['function_definition', 'class_definition', 'lambda']);

interface CallSites {
  backwardCalls: Node[];
  stepCalls: Node[];
}

interface FunctionSites extends CallSites {
  fn: Node;
}

/**
 * Starts from the few backward and step calls rather than from every loop: each one names the loops that
 * enclose it (up to its function), and a loop that encloses both kinds is a training loop. A function whose own
 * backward and step are not inside such a loop is a step function (`def train(): ... loss.backward();
 * optimizer.step()`), and a loop that calls it by name is a training loop too.
 */
export function findStepLoops(calls: readonly Node[], functionDefinitions: () => readonly Node[]): StepLoop[] {
  const byLoop = new Map<number, StepLoop>();
  const loopEntry = (loop: Node) => {
    let entry = byLoop.get(loop.id);
    if (!entry) byLoop.set(loop.id, (entry = { loop, backwardCalls: [], stepCalls: [], stepFunctions: [] }));
    return entry;
  };
  /** Backward and step calls per function that owns them (by node id), and the function each candidate loop lies in. */
  const byFunction = new Map<number, FunctionSites>();
  const loopOwner = new Map<number, number>();
  const record = (call: Node, kind: keyof CallSites) => {
    const loops: Node[] = [];
    let owner: Node | null = null;
    for (let p = call.parent; p; p = p.parent) {
      if (SCOPE_BOUNDARIES.has(p.type)) {
        owner = p;
        break;
      }
      if (LOOP_TYPES.has(p.type)) loops.push(p);
    }
    for (const loop of loops) {
      loopEntry(loop)[kind].push(call);
      if (owner) loopOwner.set(loop.id, owner.id);
    }
    if (owner?.type === 'function_definition') {
      let sites = byFunction.get(owner.id);
      if (!sites) byFunction.set(owner.id, (sites = { fn: owner, backwardCalls: [], stepCalls: [] }));
      sites[kind].push(call);
    }
  };
  for (const call of calls) {
    if (isBackwardCall(call)) record(call, 'backwardCalls');
    else if (isOptimizerStep(call)) record(call, 'stepCalls');
  }
  const isCandidate = (entry: StepLoop) => entry.backwardCalls.length > 0 && entry.stepCalls.length > 0;
  const ownLoopFunctions = new Set([...byLoop.values()].filter(isCandidate).flatMap((entry) => loopOwner.get(entry.loop.id) ?? []));
  const stepFunctions = [...byFunction.values()].filter(
    ({ fn, backwardCalls, stepCalls }) => backwardCalls.length > 0 && stepCalls.length > 0 && !ownLoopFunctions.has(fn.id) && !isMethod(fn),
  );
  if (stepFunctions.length > 0) {
    const names = new Set(stepFunctions.map(({ fn }) => fn.childForFieldName('name')?.text ?? ''));
    // Every definition of those names, to tell which one a call runs: read only in the few files with a step function.
    const definitions = functionDefinitions().filter((fn) => names.has(fn.childForFieldName('name')?.text ?? ''));
    for (const call of calls) {
      const name = calleeName(call);
      if (!name || !names.has(name)) continue;
      const fn = resolveLocalFunction(call, name, definitions);
      const sites = fn ? stepFunctions.find((candidate) => candidate.fn.id === fn.id) : undefined;
      if (!fn || !sites) continue;
      for (let p = call.parent; p && !SCOPE_BOUNDARIES.has(p.type); p = p.parent) {
        if (!LOOP_TYPES.has(p.type)) continue;
        const entry = loopEntry(p);
        if (entry.stepFunctions.some((known) => known.id === fn.id)) continue;
        entry.stepFunctions.push(fn);
        entry.backwardCalls.push(...sites.backwardCalls);
        entry.stepCalls.push(...sites.stepCalls);
      }
    }
  }
  const candidates = [...byLoop.values()].filter(isCandidate);
  // Keep the innermost: drop a loop that contains another qualifying loop.
  return candidates
    .filter(
      (outer) =>
        !candidates.some(
          (inner) => inner !== outer && inner.loop.startIndex >= outer.loop.startIndex && inner.loop.endIndex <= outer.loop.endIndex,
        ),
    )
    .sort((a, b) => a.loop.startIndex - b.loop.startIndex);
}

/** A `def` directly in a class body (possibly decorated): called through `self.`, not by its bare name. */
function isMethod(fn: Node): boolean {
  let parent = fn.parent;
  if (parent?.type === 'decorated_definition') parent = parent.parent;
  return parent?.type === 'block' && parent.parent?.type === 'class_definition';
}

/**
 * The function a bare-name call runs: the one definition of that name in the innermost scope around the call
 * (an enclosing function's body, else the module) that has any. Null when that scope defines the name twice
 * (a notebook that redefines `train` between cells) or the call sits inside the function itself.
 */
export function resolveLocalFunction(call: Node, name: string, functions: readonly Node[]): Node | null {
  const named = functions.filter((fn) => !isMethod(fn) && fn.childForFieldName('name')?.text === name);
  if (named.length === 0) return null;
  const scopeOf = (node: Node): Node | null => {
    for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition' || p.type === 'class_definition') return p;
    return null;
  };
  for (let scope = scopeOf(call); ; scope = scope ? scopeOf(scope) : null) {
    const here = named.filter((fn) => scopeOf(fn)?.id === scope?.id);
    if (here.length > 0) return here.length === 1 && !contains(here[0]!, call) ? here[0]! : null;
    if (!scope) return null;
  }
}

export function isInsideLoop(node: Node): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (LOOP_TYPES.has(p.type)) return true;
    if (p.type === 'function_definition') return false;
  }
  return false;
}

/** The loss expression a backward call differentiates: `loss` in `loss.backward()` / `accelerator.backward(loss)`. */
export function backwardTarget(call: Node): Node | null {
  const name = calleeName(call);
  const receiver = receiverOf(call);
  if (name && /(^|\.)(accelerator|fabric|engine|model)\.backward$/.test(name)) {
    return call.childForFieldName('arguments')?.namedChildren[0] ?? null;
  }
  return receiver;
}

/**
 * The `if` blocks of a step loop that gate its optimizer step behind a modulo test while the backward runs every
 * iteration — gradient accumulation (`if (step + 1) % accum == 0: optimizer.step()`) — each with the `%` divisor.
 * Such a block runs on every optimizer step, so it is not "every N steps" in the sense of a periodic chore.
 */
export function accumulationGuards(stepLoop: StepLoop): { guard: Node; divisor: Node }[] {
  const guards: { guard: Node; divisor: Node }[] = [];
  for (const guard of descendantsOfType(stepLoop.loop, 'if_statement')) {
    const condition = guard.childForFieldName('condition');
    const body = guard.childForFieldName('consequence');
    if (!condition || !body) continue;
    const gatesStep = stepLoop.stepCalls.some((call) => contains(body, call));
    const backwardOutside = stepLoop.backwardCalls.some((call) => !contains(guard, call));
    if (!gatesStep || !backwardOutside) continue;
    const modulo = [condition, ...descendantsOfType(condition, 'binary_operator')].find(
      (node) => node.type === 'binary_operator' && node.childForFieldName('operator')?.text === '%',
    );
    const divisor = modulo?.childForFieldName('right');
    if (divisor) guards.push({ guard, divisor });
  }
  return guards;
}
