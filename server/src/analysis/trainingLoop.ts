/**
 * TRAIN-LOOP: a `for`/`while` whose body contains a backward call and an optimizer step. The innermost
 * such loop is the step loop; rules about "missing X in the training loop" anchor on its backward call.
 */
import type { Node } from 'web-tree-sitter';
import { calleeMethod, calleeName, contains, descendantsOfType, LOOP_TYPES, receiverOf } from './syntax';

export interface StepLoop {
  loop: Node;
  backwardCalls: Node[];
  stepCalls: Node[];
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

/**
 * Starts from the few backward and step calls rather than from every loop: each one names the loops that
 * enclose it (up to its function), and a loop that encloses both kinds is a training loop.
 */
export function findStepLoops(calls: readonly Node[]): StepLoop[] {
  const byLoop = new Map<number, StepLoop>();
  const record = (call: Node, kind: 'backwardCalls' | 'stepCalls') => {
    for (let p = call.parent; p; p = p.parent) {
      if (p.type === 'function_definition' || p.type === 'class_definition' || p.type === 'lambda') break;
      if (!LOOP_TYPES.has(p.type)) continue;
      let entry = byLoop.get(p.id);
      if (!entry) byLoop.set(p.id, (entry = { loop: p, backwardCalls: [], stepCalls: [] }));
      entry[kind].push(call);
    }
  };
  for (const call of calls) {
    if (isBackwardCall(call)) record(call, 'backwardCalls');
    else if (isOptimizerStep(call)) record(call, 'stepCalls');
  }
  const candidates = [...byLoop.values()].filter((entry) => entry.backwardCalls.length > 0 && entry.stepCalls.length > 0);
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
