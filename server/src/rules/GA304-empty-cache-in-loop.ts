import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { removeStatement } from '../analysis/edits';
import { calleeMethod, calleeName, contains, enclosingClass, enclosingFunction, firstLineRange, LOOP_TYPES } from '../analysis/syntax';
import { accumulationGuards, isInsideLoop } from '../analysis/trainingLoop';
import type { Rule, RuleFinding } from './rule';

const EMPTY_CACHE = /^torch(_npu)?\.(cuda|xpu|npu|mps|mlu)\.empty_cache$/;
/** Framework hooks that run once per batch (Lightning LightningModule/Callback, Hugging Face Trainer/TrainerCallback). */
const PER_BATCH_HOOKS = new Set([
  'training_step', 'validation_step', 'test_step', 'predict_step', 'on_train_batch_start', 'on_train_batch_end',
  'on_validation_batch_start', 'on_validation_batch_end', 'on_test_batch_end', 'on_predict_batch_end', 'on_before_backward',
  'on_after_backward', 'on_before_optimizer_step', 'on_before_zero_grad', 'optimizer_step', 'on_step_begin', 'on_step_end',
  'on_substep_end', 'compute_loss', 'prediction_step',
]);
/** The iterable of an evaluation batch loop: `val_loader`, `tqdm(test_dataloader)`, `enumerate(dl)`, `batches`. */
const BATCH_ITERABLE = /loader|(^|\W|_)dl\b|batch/i;
/** A try/except for out-of-memory: batch-size search and OOM-retry loops empty the cache on purpose. */
const OOM_HANDLER = /OutOfMemory|out of memory|\bOOM\b|RuntimeError/i;

type Place = 'training loop' | 'evaluation loop' | 'per-batch hook' | 'training-step function';

export const emptyCacheInLoop: Rule = {
  meta: {
    id: 'GA304',
    slug: 'empty-cache-in-loop',
    title: 'torch.cuda.empty_cache() every step',
    category: 'training-loop',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'empty_cache() synchronises the device and hands every unused block of PyTorch\'s caching allocator back to the driver, so the next step allocates the same memory again with cudaMalloc. Lightning\'s speed guide lists it under things to avoid: "Every time you call this, ALL your GPUs have to wait to sync." It does not give the training process more memory: the allocator already frees cached blocks and retries before it reports out-of-memory.',
    fix: 'Delete the call (or move it after the loop, between phases); in a Hugging Face Trainer use torch_empty_cache_steps only when a run is memory-bound.',
    sources: [
      { title: 'Lightning — Speed up model training: Things to avoid', url: 'https://lightning.ai/docs/pytorch/stable/advanced/speed.html', year: 2024 },
      { title: 'Hugging Face — Efficient training on a single GPU (torch_empty_cache_steps)', url: 'https://huggingface.co/docs/transformers/perf_train_gpu_one', year: 2024 },
      { title: 'PyTorch CUDA semantics — memory management', url: 'https://pytorch.org/docs/stable/notes/cuda.html#memory-management', year: 2024 },
    ],
  },
  check(context) {
    if (!context.text.includes('empty_cache')) return [];
    const findings: RuleFinding[] = [];
    // `if (step + 1) % accum == 0: optimizer.step()` runs on every optimizer step: not a periodic work-around.
    const optimizerStepBlocks = new Set(context.stepLoops().flatMap(accumulationGuards).map(({ guard }) => guard.id));
    for (const call of context.calls()) {
      if (calleeMethod(call) !== 'empty_cache' || !EMPTY_CACHE.test(context.qualifiedCallee(call) ?? '')) continue;
      if (inOomHandlerOrPeriodic(call, optimizerStepBlocks)) continue;
      const place = perStepPlace(context, call);
      if (!place) continue;
      const statement = call.parent?.type === 'expression_statement' && call.parent.namedChildren.length === 1 ? call.parent : null;
      const edit = statement ? removeStatement(context, statement) : null;
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: `${calleeName(call)}() runs on every batch (${place}): each call synchronises the GPU and releases cached memory that the next step must allocate again. Delete it, or ${place === 'per-batch hook' ? 'move it to an epoch-end hook' : 'call it once after the loop'}.`,
        fixes: edit ? [{ title: `Delete ${calleeName(call)}()`, preferred: true, edits: [edit] }] : [],
      });
    }
    return findings;
  },
};

/**
 * Inside an `except` clause (OOM recovery), or under a condition with `%` (every N steps, a deliberate work-around)
 * unless that condition is the gradient-accumulation guard of the optimizer step (`optimizerStepBlocks`).
 */
function inOomHandlerOrPeriodic(call: Node, optimizerStepBlocks: ReadonlySet<number>): boolean {
  for (let p = call.parent; p; p = p.parent) {
    if (p.type === 'except_clause') return true;
    if (p.type === 'if_statement' && !optimizerStepBlocks.has(p.id) && p.childForFieldName('condition')?.text.includes('%')) return true;
    if (LOOP_TYPES.has(p.type) || p.type === 'function_definition') return false;
  }
  return false;
}

function perStepPlace(context: AnalysisContext, call: Node): Place | null {
  const loop = innermostLoop(call);
  if (loop) {
    if (hasOomRetry(loop)) return null;
    if (context.stepLoops().some((step) => contains(step.loop, call) && !hasOomRetry(step.loop))) return 'training loop';
    const iterable = loop.type === 'for_statement' ? loop.childForFieldName('right') : null;
    if (iterable && BATCH_ITERABLE.test(iterable.text) && context.stepLoops().every((step) => !contains(loop, step.loop))) return 'evaluation loop';
    return null;
  }
  const fn = enclosingFunction(call);
  if (!fn) return null;
  const name = fn.childForFieldName('name')?.text ?? '';
  if (PER_BATCH_HOOKS.has(name) && enclosingClass(fn)) return 'per-batch hook';
  return isStepFunctionCalledInLoop(context, fn, name) ? 'training-step function' : null;
}

/** The innermost `for`/`while` around the call in its own function. */
function innermostLoop(node: Node): Node | null {
  for (let p = node.parent; p; p = p.parent) {
    if (LOOP_TYPES.has(p.type)) return p;
    if (p.type === 'function_definition' || p.type === 'class_definition' || p.type === 'lambda') return null;
  }
  return null;
}

/** A loop whose body tries something and handles out-of-memory: a batch-size search or an OOM-retry loop. */
function hasOomRetry(loop: Node): boolean {
  const body = loop.childForFieldName('body');
  if (!body) return false;
  return body.namedChildren.some((statement) => statement?.type === 'try_statement' && statement.namedChildren.some((clause) => clause?.type === 'except_clause' && OOM_HANDLER.test(clause.text.split('\n')[0] ?? '')));
}

/** `def train_step(batch): … loss.backward(); optimizer.step() …` called from inside a loop. */
function isStepFunctionCalledInLoop(context: AnalysisContext, fn: Node, name: string): boolean {
  if (!name) return false;
  const own = context.callsWithin(fn);
  const backward = own.some((inner) => calleeMethod(inner) === 'backward' || calleeMethod(inner) === 'manual_backward');
  const step = own.some((inner) => calleeMethod(inner) === 'step');
  if (!backward || !step) return false;
  return context.calls().some((site) => {
    const callee = calleeName(site);
    return (callee === name || callee === `self.${name}`) && !contains(fn, site) && isInsideLoop(site);
  });
}
