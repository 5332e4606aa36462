import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { ddpCalls } from '../analysis/distributed';
import { ensureImport, wrapStatements } from '../analysis/edits';
import { ancestor, calleeName, contains, descendantsOfType, dottedName, rangeOf, statementOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const TEXT = /DistributedDataParallel|DDP/;
/** Ways a script already skips the all-reduce of the intermediate micro-steps, or lets a framework do it. */
const SYNC_HANDLED = /no_sync|require_backward_grad_sync|\.accumulate\(|deepspeed|Fabric|accumulate_grad_batches/;

export const ddpGradAccumWithoutNoSync: Rule = {
  meta: {
    id: 'GA503',
    slug: 'ddp-grad-accum-without-no-sync',
    title: 'DDP gradient accumulation without no_sync()',
    category: 'distributed',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'DistributedDataParallel all-reduces the gradients across all GPUs after every backward pass. With gradient accumulation only the last micro-step before optimizer.step() needs the averaged gradients; the all-reduces of the other micro-steps move the full gradient volume over the interconnect for nothing. PyTorch\'s Performance Tuning Guide ("Skip unnecessary all-reduce if training with DistributedDataParallel and gradient accumulation") recommends model.no_sync() for those steps; nanoGPT sets model.require_backward_grad_sync only on the last micro-step. Reported at information severity: with an accumulation factor of 1 (often the default) every step is a last step.',
    fix: 'Run the forward and backward of every micro-step but the last inside `with model.no_sync():` (or set model.require_backward_grad_sync = is_last_micro_step; Accelerate: accelerator.accumulate(model)).',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Skip unnecessary all-reduce with gradient accumulation', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'DistributedDataParallel.no_sync documentation', url: 'https://pytorch.org/docs/stable/generated/torch.nn.parallel.DistributedDataParallel.html', year: 2024 },
      { title: 'karpathy/nanoGPT — train.py (require_backward_grad_sync)', url: 'https://github.com/karpathy/nanoGPT/blob/master/train.py', year: 2023 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || !context.text.includes('%') || SYNC_HANDLED.test(context.text)) return [];
    if (ddpCalls(context).length === 0) return [];
    const findings: RuleFinding[] = [];
    for (const { loop, backwardCalls, stepCalls } of context.stepLoops()) {
      const guard = stepCalls.map((step) => accumulationGuard(step, loop)).find((found) => found !== null);
      if (!guard) continue;
      // The backward runs on every micro-step: outside the guard that gates the optimizer step.
      const backward = backwardCalls.find((call) => !contains(guard, call));
      if (!backward) continue;
      findings.push({
        range: rangeOf(backward),
        message: 'This DDP loop accumulates gradients (the optimizer steps only under a `%` condition) but all-reduces them after every backward: the intermediate all-reduces move the whole gradient volume between GPUs for nothing. Run the micro-steps before the last inside `with model.no_sync():`.',
        related: [{ range: rangeOf(guard.childForFieldName('condition') ?? guard), message: 'optimizer steps only here' }],
        fixes: noSyncFix(context, loop, backward, guard),
      });
    }
    return findings;
  },
};

/**
 * Wraps the micro-step (from the start of the backward's block up to the backward) in
 * `with (contextlib.nullcontext() if <guard condition> else model.no_sync()):` — the forward must be inside
 * no_sync too, as DDP prepares the gradient reduction in forward. Only when the guard's condition can be
 * evaluated before the micro-step (it reads no name the wrapped statements assign) and the wrapped model is known.
 */
function noSyncFix(context: AnalysisContext, loop: Node, backward: Node, guard: Node): Fix[] {
  const condition = guard.childForFieldName('condition');
  const last = statementOf(backward);
  const block = last.parent;
  if (!condition || !block || block.type !== 'block' || !contains(loop, block) || contains(guard, last)) return [];
  const first = block.namedChildren.find((child) => !!child && child.type !== 'comment');
  if (!first || first.startIndex > last.startIndex || first.startPosition.row === block.parent?.startPosition.row) return [];
  const wrapped = block.namedChildren.filter((child): child is Node => !!child && child.startIndex >= first.startIndex && child.endIndex <= last.endIndex);
  const assigned = new Set<string>();
  for (const statement of wrapped) {
    for (const assignment of [...descendantsOfType(statement, 'assignment'), ...descendantsOfType(statement, 'augmented_assignment')]) {
      for (const name of descendantsOfType(assignment.childForFieldName('left')!, 'identifier')) assigned.add(name.text);
    }
    if (statement.type === 'for_statement' || statement.type === 'while_statement' || statement.type === 'if_statement') return [];
  }
  if (descendantsOfType(condition, 'identifier').some((name) => assigned.has(name.text))) return [];
  const model = wrappedModel(context, wrapped);
  if (!model) return [];
  const header = `with (contextlib.nullcontext() if ${condition.text.replace(/\s+/g, ' ')} else ${model}.no_sync())`;
  const importEdit = ensureImport(context, 'contextlib');
  return [
    {
      title: `Skip the all-reduce of non-final micro-steps: run them under ${model}.no_sync()`,
      preferred: false,
      edits: [...(importEdit ? [importEdit] : []), wrapStatements(context, first, last, header)],
    },
  ];
}

/** The DDP-wrapped model the micro-step calls: a name bound to `DDP(...)`, or a model name called in the wrapped statements. */
function wrappedModel(context: AnalysisContext, statements: Node[]): string | null {
  const called = new Set(statements.flatMap((statement) => context.callsWithin(statement).map((call) => calleeName(call) ?? '')));
  for (const call of ddpCalls(context)) {
    const assignment = call.parent;
    const left = assignment?.type === 'assignment' ? dottedName(assignment.childForFieldName('left')) : null;
    if (left && called.has(left)) return left;
  }
  const models = context.modelNames();
  return [...called].find((name) => models.has(name)) ?? null;
}

/** The `if (i + 1) % accum == 0:` inside the loop that gates the optimizer step. */
function accumulationGuard(step: Node, loop: Node): Node | null {
  const guard = ancestor(step, (candidate) => candidate.type === 'if_statement' || candidate.id === loop.id);
  if (!guard || guard.id === loop.id || !contains(loop, guard)) return null;
  const condition = guard.childForFieldName('condition');
  return condition && /%/.test(condition.text) ? guard : null;
}
