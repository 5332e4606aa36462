import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { calleeMethod, calleeName, contains, descendantsOfType, firstLineRange, receiverOf, statementOf } from '../analysis/syntax';
import { backwardTarget, type StepLoop } from '../analysis/trainingLoop';
import type { Fix, Rule, RuleFinding } from './rule';

const SYNC_METHODS = new Set(['item', 'cpu', 'numpy', 'tolist']);
const IDENTIFIER = /[A-Za-z_]\w*/g;
const SYNC_TEXT = /\.(item|cpu|numpy|tolist)\(|synchronize\(|print\(/;
/** Calls whose result is a value computed on the device from the model: the model itself, losses, metrics. */
const DEVICE_PRODUCER = /(^|\.)(model|net|module|criterion|loss\w*|\w*_loss|\w*_fn|compute_loss|forward)$|^(torch|F|nn)\./i;
const PYTHON_BUILTINS = new Set(['len', 'range', 'enumerate', 'zip', 'int', 'float', 'str', 'bool', 'list', 'dict', 'tuple', 'set', 'min', 'max', 'sum', 'abs', 'round', 'print', 'next', 'iter', 'isinstance', 'getattr', 'sorted', 'time', 'open', 'format']);
const LOOP_OR_DEF = new Set(['for_statement', 'while_statement', 'function_definition', 'class_definition', 'with_statement', 'if_statement']);

export const hostSyncInLoop: Rule = {
  meta: {
    id: 'GA306',
    slug: 'host-sync-in-loop',
    title: 'CPU–GPU synchronisation on every training step',
    category: 'training-loop',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: false,
    why:
      'CUDA runs asynchronously: the Python thread queues kernels and moves on. .item(), .cpu(), .numpy(), .tolist(), print(tensor) and torch.cuda.synchronize() on a GPU value make the CPU wait until the GPU has drained its queue, so the next step cannot be queued while the current one runs and the GPU idles between steps. PyTorch\'s Tuning Guide says to avoid unnecessary CPU-GPU synchronisation, and Lightning\'s speed guide: "Don\'t call .item() anywhere in your code." Opt-in: a per-step loss.item() is ubiquitous and often cheap relative to a large step, and values needed for Python control flow (early stop on NaN) must sync.',
    fix: 'Accumulate on the device (running_loss += loss.detach()) and call .item() once per logging interval (under `if step % log_every == 0:`).',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Avoid unnecessary CPU-GPU synchronization', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'Lightning — Speed up model training: Things to avoid (.item(), .cpu())', url: 'https://lightning.ai/docs/pytorch/stable/advanced/speed.html', year: 2024 },
    ],
  },
  check(context) {
    if (!SYNC_TEXT.test(context.text)) return [];
    if (!context.usesTorch() || context.stepLoops().length === 0 || !context.gpu().present) return [];
    const findings: RuleFinding[] = [];
    const reported = new Set<number>();
    for (const stepLoop of context.stepLoops()) {
      const derived = deviceValues(context, stepLoop);
      for (const call of context.callsWithin(stepLoop.loop.childForFieldName('body') ?? stepLoop.loop)) {
        const kind = syncKind(call, derived);
        if (!kind || !runsEveryStep(call, stepLoop.loop) || context.isDebugGated(call)) continue;
        const statement = statementOf(call);
        if (reported.has(statement.id)) continue;
        reported.add(statement.id);
        findings.push({
          range: firstLineRange(call, (line) => context.lineText(line)),
          message: `${kind} on every training step makes the CPU wait for the GPU to finish, so the next step cannot be queued meanwhile. Accumulate on the device and sync once per logging interval.`,
          fixes: accumulateOnDeviceFix(call),
        });
      }
    }
    return findings;
  },
};

/**
 * Names bound in the loop to values computed on the device: the loss, model outputs, and what is derived from
 * them. Works from the loop's calls (found by binary search) rather than from every assignment in the file:
 * reading a node's position crosses into wasm, and a scan of all assignments per loop dominated the rule's cost.
 */
function deviceValues(context: AnalysisContext, stepLoop: StepLoop): Set<string> {
  const derived = new Set<string>();
  for (const backward of stepLoop.backwardCalls) {
    const target = backwardTarget(backward);
    if (target?.type === 'identifier') derived.add(target.text);
  }
  const body = stepLoop.loop.childForFieldName('body') ?? stepLoop.loop;
  for (const call of context.callsWithin(body)) {
    const method = calleeMethod(call) ?? '';
    // `loss_value = loss.item()` is already a Python number.
    if (SYNC_METHODS.has(method)) continue;
    const name = calleeName(call);
    const producesOnDevice = name !== null && (isModelLikeCall(name) || DEVICE_PRODUCER.test(name));
    if (!producesOnDevice && !(call.text.match(IDENTIFIER) ?? []).some((id) => derived.has(id))) continue;
    const assignment = enclosingAssignment(call);
    const left = assignment?.childForFieldName('left');
    if (!left) continue;
    const right = assignment!.childForFieldName('right');
    if (right?.type === 'call' && SYNC_METHODS.has(calleeMethod(right) ?? '')) continue;
    for (const id of left.text.match(IDENTIFIER) ?? []) derived.add(id);
  }
  return derived;
}

/** `model(x)`, `netD(fake)`, `self.model(x)`, `criterion(out, y)`: a module call, not a Python builtin. */
function isModelLikeCall(name: string): boolean {
  const bare = name.startsWith('self.') ? name.slice(5) : name;
  return !bare.includes('.') && !PYTHON_BUILTINS.has(bare);
}

/** The assignment whose right-hand side holds the call (`x = f(...)`, `x, y = f(a), g(b)`), within its statement. */
function enclosingAssignment(call: Node): Node | null {
  for (let p = call.parent; p; p = p.parent) {
    if (p.type === 'assignment' || p.type === 'augmented_assignment') return p.type === 'assignment' ? p : null;
    if (p.type === 'expression_statement' || p.type === 'block' || LOOP_OR_DEF.has(p.type)) return null;
  }
  return null;
}

/** What synchronises, for the message; null when the call does not (or not on a device value). */
function syncKind(call: Node, derived: ReadonlySet<string>): string | null {
  const name = calleeName(call);
  if (name === 'torch.cuda.synchronize') return 'torch.cuda.synchronize()';
  if (name === 'print') {
    const args = call.childForFieldName('arguments')?.namedChildren ?? [];
    return args.some((arg) => arg?.type === 'identifier' && derived.has(arg.text)) ? 'print() of a GPU tensor' : null;
  }
  const method = calleeMethod(call);
  if (!method || !SYNC_METHODS.has(method)) return null;
  const receiver = receiverOf(call);
  if (!receiver) return null;
  // `loss.detach().cpu().numpy()` is one synchronisation: report the innermost call only.
  if (receiver.type === 'call' && SYNC_METHODS.has(calleeMethod(receiver) ?? '')) return null;
  const uses = receiver.type === 'identifier' ? [receiver] : descendantsOfType(receiver, 'identifier');
  return uses.some((id) => derived.has(id.text)) ? `.${method}()` : null;
}

/**
 * Not guarded by a periodic condition (`if step % 100 == 0`), not part of a condition (a NaN check or a stop
 * criterion needs the value on the CPU), not in an exception handler or a nested function.
 */
function runsEveryStep(call: Node, loop: Node): boolean {
  for (let p = call.parent; p && p.id !== loop.id; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'lambda' || p.type === 'except_clause' || p.type === 'assert_statement') return false;
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'while_statement' || p.type === 'conditional_expression') {
      const condition = p.childForFieldName('condition');
      if (condition && contains(condition, call)) return false;
      if (condition?.text.includes('%')) return false;
      if (p.type === 'conditional_expression') return false;
    }
  }
  return true;
}

/** `running += loss.item()` → `running += loss.detach()`: the sum stays on the device until it is logged. */
function accumulateOnDeviceFix(call: Node): Fix[] {
  if (calleeMethod(call) !== 'item' || call.parent?.type !== 'augmented_assignment') return [];
  if (call.parent.childForFieldName('right')?.id !== call.id) return [];
  const attribute = call.childForFieldName('function')?.childForFieldName('attribute');
  if (!attribute) return [];
  return [{
    title: 'Accumulate on the device: .detach() instead of .item() (the sum becomes a tensor; call .item() when logging)',
    preferred: false,
    edits: [{ range: { start: { line: attribute.startPosition.row, character: attribute.startPosition.column }, end: { line: call.endPosition.row, character: call.endPosition.column } }, newText: 'detach()' }],
  }];
}
