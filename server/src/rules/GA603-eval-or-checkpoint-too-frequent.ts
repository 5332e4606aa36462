/**
 * GA603 eval-or-checkpoint-too-frequent: validation, checkpointing or logging at a cadence that makes them a
 * visible share of the run — Hugging Face `eval_steps`/`save_steps`/`logging_steps`, Lightning
 * `val_check_interval`, and a `torch.save`/`save_pretrained` executed on every step of a training loop.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { replaceKeywordValue } from '../analysis/edits';
import { ancestor, calleeMethod, contains, firstLineRange, keywordValue } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const TEXT = /eval_steps|save_steps|logging_steps|val_check_interval|save/;
/** A cadence under 1% of the run's steps (the catalogue's threshold) makes more than 100 evaluations or checkpoints. */
const MIN_SHARE = 0.01;
/** Without a known run length: an evaluation or checkpoint more often than every this many steps. */
const MIN_STEPS = 50;
/** Logging forces a host sync and a metrics round-trip; more often than every this many steps is per-step logging. */
const MIN_LOGGING_STEPS = 5;
/** Lightning: validating more than ten times per epoch, or every fewer than MIN_STEPS batches. */
const MIN_VAL_FRACTION = 0.1;
/** The fix spaces evaluations and checkpoints to this many over the run (2% of the steps apart). */
const SUGGESTED_COUNT = 50;
const SUGGESTED_LOGGING_STEPS = 50;
const SAVE_METHODS = /^(save|save_pretrained|save_state|save_model|save_checkpoint)$/;

export const evalOrCheckpointTooFrequent: Rule = {
  meta: {
    id: 'GA603',
    slug: 'eval-or-checkpoint-too-frequent',
    title: 'Validation or checkpointing too frequent',
    category: 'schedule',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Validation passes and checkpoint writes do not train the model: while they run the GPU either evaluates a whole validation set or waits for gigabytes of weights and optimizer state to reach disk. Run every few steps they become a large share of the run. Lightning documents lowering validation frequency ("Control Validation Frequency", val_check_interval / check_val_every_n_epoch) as a speed-up, and Hugging Face\'s eval_steps, save_steps and save_total_limit exist to space evaluations and checkpoints out. The rule reports cadences under 1% of the run\'s steps (or, when the length is unknown, more often than every 50 steps), logging every step or few, and checkpoints written unconditionally inside the step loop. Reported at information severity: small datasets and unstable runs may want close monitoring.',
    fix: 'Raise eval_steps/save_steps (or val_check_interval) to a few percent of the run, set save_total_limit, and guard checkpoint writes in a hand-written loop with an interval (`if step % save_every == 0:`).',
    sources: [
      { title: 'Lightning — Speed up model training, Control Validation Frequency', url: 'https://lightning.ai/docs/pytorch/stable/advanced/speed.html', year: 2024 },
      { title: 'Hugging Face Transformers — TrainingArguments (eval_steps, save_steps, save_total_limit, logging_steps)', url: 'https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text)) return [];
    return [...checkHuggingFace(context), ...checkLightning(context), ...checkLoopSaves(context)];
  },
};

function number(context: AnalysisContext, node: Node | null): number | null {
  const value = node ? context.values().resolve(node, { cliDefaults: false }) : null;
  return value?.kind === 'number' ? value.value : null;
}

function text(context: AnalysisContext, node: Node | null): string | null {
  const value = node ? context.values().resolve(node, { cliDefaults: false }) : null;
  return value?.kind === 'string' ? value.value : null;
}

function checkHuggingFace(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const values = context.values();
  for (const call of context.huggingFaceArguments()) {
    const present = (keyword: string) => {
      const lookup = values.argument(call, keyword);
      return lookup.state === 'present' ? lookup.node : null;
    };
    const maxSteps = number(context, present('max_steps'));
    const total = maxSteps !== null && maxSteps > 0 ? maxSteps : null;
    const tooFrequent = (steps: number, floor: number) => {
      if (steps <= 0) return null;
      // A float below 1 is a ratio of the total training steps.
      if (steps < 1) return steps < MIN_SHARE ? `every ${(steps * 100).toFixed(2)}% of the training steps` : null;
      if (total !== null) return steps / total < MIN_SHARE ? `every ${steps} of ${total} steps (${Math.round(total / steps)} times)` : null;
      return steps < floor ? `every ${steps} steps` : null;
    };
    // A string, or the enum (`IntervalStrategy.STEPS`).
    const strategy = (keyword: string) => {
      const node = present(keyword);
      const enumMember = node?.type === 'attribute' ? /\.(STEPS|EPOCH|NO)$/.exec(node.text) : null;
      return enumMember ? enumMember[1]!.toLowerCase() : text(context, node);
    };
    /** Replaces a literal integer written in this call; null when the value comes from elsewhere. */
    const raise = (keyword: string, value: number, what: string): Fix[] => {
      const literal = keywordValue(call, keyword);
      const edit = literal?.type === 'integer' ? replaceKeywordValue(call, keyword, String(value)) : null;
      return edit ? [{ title: `Set ${keyword}=${value} (${what})`, preferred: false, edits: [edit] }] : [];
    };
    const spaced = total !== null ? Math.ceil(total / SUGGESTED_COUNT) : null;
    const anchor = (node: Node) => firstLineRange(node.parent?.type === 'keyword_argument' ? node.parent : node, (line) => context.lineText(line));

    const evalSteps = present('eval_steps');
    const evalStrategy = strategy('eval_strategy') ?? strategy('evaluation_strategy');
    const evalCadence = evalSteps && evalStrategy === 'steps' ? tooFrequent(number(context, evalSteps) ?? 0, MIN_STEPS) : null;
    if (evalSteps && evalCadence) {
      findings.push({
        range: anchor(evalSteps),
        message: `The Trainer evaluates ${evalCadence}: each evaluation runs the whole validation set while training stops. Evaluate a few percent of the run apart (raise eval_steps), or once per epoch (eval_strategy="epoch").`,
        fixes: spaced ? raise('eval_steps', spaced, `${SUGGESTED_COUNT} evaluations over the run`) : [],
      });
    }
    const saveSteps = present('save_steps');
    const saveStrategy = strategy('save_strategy') ?? 'steps';
    const saveCadence = saveSteps && saveStrategy === 'steps' ? tooFrequent(number(context, saveSteps) ?? 0, MIN_STEPS) : null;
    if (saveSteps && saveCadence && values.argument(call, 'save_total_limit').state === 'absent') {
      findings.push({
        range: anchor(saveSteps),
        message: `The Trainer writes a checkpoint (weights and optimizer state) ${saveCadence} and keeps them all (no save_total_limit): the GPU waits for every write. Save less often and set save_total_limit.`,
        fixes: spaced ? raise('save_steps', spaced, `${SUGGESTED_COUNT} checkpoints over the run`) : [],
      });
    }
    const loggingSteps = present('logging_steps');
    const logging = loggingSteps ? number(context, loggingSteps) : null;
    if (loggingSteps && logging !== null && logging >= 1 && logging < MIN_LOGGING_STEPS) {
      findings.push({
        range: anchor(loggingSteps),
        message: `logging_steps=${logging} reads the loss back from the GPU and reports metrics on almost every step, synchronising the host with the device each time. Log every 50–500 steps (the default is 500).`,
        fixes: raise('logging_steps', SUGGESTED_LOGGING_STEPS, 'fewer loss points'),
      });
    }
  }
  return findings;
}

function checkLightning(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const call of context.lightningTrainers()) {
    const lookup = context.values().argument(call, 'val_check_interval');
    if (lookup.state !== 'present') continue;
    const interval = number(context, lookup.node);
    if (interval === null || interval <= 0) continue;
    const isFraction = lookup.node.type === 'float' || (interval < 1 && !Number.isInteger(interval));
    const frequent = isFraction ? interval < MIN_VAL_FRACTION : interval < MIN_STEPS;
    if (!frequent) continue;
    const cadence = isFraction ? `${Math.round(1 / interval)} times per epoch` : `every ${interval} training batches`;
    findings.push({
      range: firstLineRange(lookup.node.parent?.type === 'keyword_argument' ? lookup.node.parent : call, (line) => context.lineText(line)),
      message: `val_check_interval=${lookup.node.text} runs the validation loop ${cadence}, stopping training each time. Validate less often (a larger val_check_interval, or check_val_every_n_epoch).`,
    });
  }
  return findings;
}

/** A checkpoint write that runs on every iteration of a step loop: not under any `if` inside the loop. */
function checkLoopSaves(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const { loop } of context.stepLoops()) {
    for (const call of context.callsWithin(loop)) {
      const method = calleeMethod(call) ?? '';
      if (!SAVE_METHODS.test(method)) continue;
      const qualified = context.qualifiedCallee(call) ?? '';
      if (method === 'save' && qualified !== 'torch.save') continue;
      const guard = ancestor(call, (node) => node.id === loop.id || node.type === 'if_statement' || node.type === 'function_definition' || node.type === 'try_statement' || node.type === 'except_clause');
      if (!guard || guard.id !== loop.id || !contains(loop, call)) continue;
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: `${qualified || method}(...) writes a checkpoint on every training step: the GPU waits for each write of the weights (and optimizer state). Guard it with an interval (if step % save_every == 0:) or save once per epoch.`,
      });
    }
  }
  return findings;
}
