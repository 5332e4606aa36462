import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import type { ArgumentLookup } from '../analysis/values';
import { addKeywordArgument, ensureImport, replaceKeywordValue, wrapStatements } from '../analysis/edits';
import { calleeMethod, calleeName, descendantsOfType, firstLineRange, keywordArgument, keywordValue, positionalArguments, rangeOf, statementOf } from '../analysis/syntax';
import { backwardTarget, type StepLoop } from '../analysis/trainingLoop';
import type { Fix, Rule, RuleFinding } from './rule';

const HALF_DTYPES = /^torch\.(float16|half|bfloat16)$/;
const AUTOCAST_HEADER = 'with torch.autocast(device_type="cuda", dtype=torch.bfloat16)';

export const ampMissing: Rule = {
  meta: {
    id: 'GA101',
    slug: 'amp-missing',
    title: 'GPU training without mixed precision',
    category: 'precision',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'Tensor-Core GPUs (Volta and newer) run fp16/bf16 matrix multiplications and convolutions several times faster than fp32 and halve activation memory and bandwidth. PyTorch reports a 2–3× speed-up from automatic mixed precision on Volta, Turing and Ampere; the same run then holds the GPU — and its power draw — for a fraction of the time.',
    fix: 'Run forward and loss under torch.autocast(device_type="cuda", dtype=torch.bfloat16) (bf16 needs no GradScaler), or set bf16=True / precision="bf16-mixed" in the framework.',
    sources: [
      { title: 'PyTorch recipe: Automatic Mixed Precision', url: 'https://pytorch.org/tutorials/recipes/recipes/amp_recipe.html', year: 2024 },
      { title: 'PyTorch Performance Tuning Guide — Use mixed precision and AMP', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'torch.amp documentation', url: 'https://pytorch.org/docs/stable/amp.html', year: 2024 },
    ],
  },
  check(context) {
    return [...checkHandWrittenLoops(context), ...checkHuggingFaceArguments(context), ...checkLightningTrainers(context)];
  },
};

function checkHandWrittenLoops(context: AnalysisContext): RuleFinding[] {
  if (!context.usesTorch()) return [];
  const gpu = context.gpu();
  if (!gpu.present) return [];
  const frameworks = context.frameworks();
  if (['lightning', 'fabric', 'hf-trainer', 'accelerate', 'deepspeed', 'keras'].some((f) => frameworks.has(f as never))) return [];
  if (usesReducedPrecision(context)) return [];
  const findings: RuleFinding[] = [];
  for (const stepLoop of context.stepLoops()) {
    const backward = stepLoop.backwardCalls[0]!;
    const fix = autocastFix(context, stepLoop, backward);
    findings.push({
      range: rangeOf(backward),
      message: 'This GPU training loop runs in full fp32: no autocast, GradScaler or half-precision model. Mixed precision (bf16) typically trains 2–3× faster on Tensor-Core GPUs.',
      fixes: fix ? [fix] : [],
      related: gpu.first ? [{ range: rangeOf(gpu.first), message: 'the script uses a GPU here' }] : [],
      effect: { kind: 'precision', to: 'bf16', label: 'bf16 autocast' },
    });
  }
  return findings;
}

/** Any sign that precision is already handled, or chosen at run time (`autocast(enabled=args.amp)` counts). */
export function usesReducedPrecision(context: AnalysisContext): boolean {
  for (const call of context.calls()) {
    const method = calleeMethod(call) ?? '';
    const name = context.qualifiedCallee(call) ?? '';
    if (method === 'autocast' || method === 'GradScaler' || method === 'half' || method === 'bfloat16') return true;
    if (name === 'apex.amp.initialize' || name.endsWith('amp.initialize')) return true;
    if (method === 'to' || method === 'set_default_dtype' || method === 'type') {
      const dtype = keywordValue(call, 'dtype') ?? positionalArguments(call).find((arg) => HALF_DTYPES.test(arg.text)) ?? null;
      if (dtype && HALF_DTYPES.test(dtype.text)) return true;
    }
  }
  return false;
}

function autocastFix(context: AnalysisContext, stepLoop: StepLoop, backward: Node): Fix | null {
  const target = backwardTarget(backward);
  if (target?.type !== 'identifier') return null;
  const lossName = target.text;
  const loopBody = stepLoop.loop.childForFieldName('body');
  if (!loopBody) return null;
  // Walk out from the backward statement to the loop body, looking for where the loss is computed.
  for (let statement: Node | null = statementOf(backward); statement && statement.parent; statement = statementOf(statement.parent)) {
    const lossStatement = precedingSiblings(statement).find((sibling) => assigns(sibling, lossName));
    if (lossStatement) {
      const first = firstForwardStatement(context, lossStatement) ?? lossStatement;
      const wrap = wrapStatements(context, first, lossStatement, AUTOCAST_HEADER);
      const importTorch = ensureImport(context, 'torch');
      return {
        title: 'Wrap forward and loss in torch.autocast(bfloat16) (changes numerics: mixed precision)',
        preferred: false,
        edits: importTorch ? [importTorch, wrap] : [wrap],
      };
    }
    if (statement.parent.id === loopBody.id) break;
  }
  return null;
}

/** Siblings before `statement`, nearest first. */
function precedingSiblings(statement: Node): Node[] {
  const list: Node[] = [];
  for (let previous = statement.previousNamedSibling; previous; previous = previous.previousNamedSibling) list.push(previous);
  return list;
}

function assigns(statement: Node, name: string): boolean {
  if (statement.type !== 'expression_statement') return false;
  const expression = statement.namedChildren[0];
  if (expression?.type !== 'assignment' && expression?.type !== 'augmented_assignment') return false;
  const left = expression.childForFieldName('left');
  if (!left) return false;
  return left.text === name || descendantsOfType(left, 'identifier').some((id) => id.text === name);
}

/** The earliest statement before the loss, in an unbroken run of simple statements, that calls the model. */
function firstForwardStatement(context: AnalysisContext, lossStatement: Node): Node | null {
  const models = context.modelNames();
  const isForward = (call: Node) => {
    const name = calleeName(call);
    return !!name && (models.has(name) || (models.size === 0 && /^(model|net)$/.test(name)));
  };
  let earliest: Node | null = context.callsWithin(lossStatement).some(isForward) ? lossStatement : null;
  for (const sibling of precedingSiblings(lossStatement)) {
    if (sibling.type !== 'expression_statement') break;
    if (context.callsWithin(sibling).some(isForward)) earliest = sibling;
  }
  return earliest;
}

function checkHuggingFaceArguments(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const values = context.values();
  /** Explicitly enabled, or chosen at launch (a variable or CLI flag): not ours to flag. */
  const enabledOrDelegated = (lookup: ArgumentLookup) => {
    if (lookup.state === 'unknown') return true;
    if (lookup.state === 'absent') return false;
    const value = values.resolve(lookup.node, { cliDefaults: false });
    return !(value.kind === 'bool' && value.value === false);
  };
  for (const call of context.huggingFaceArguments()) {
    if (['bf16', 'fp16', 'use_cpu', 'no_cuda'].some((keyword) => enabledOrDelegated(values.argument(call, keyword)))) continue;
    const edit = keywordArgument(call, 'bf16') ? replaceKeywordValue(call, 'bf16', 'True') : addKeywordArgument(context, call, 'bf16=True');
    const name = calleeName(call)?.split('.').pop() ?? 'TrainingArguments';
    findings.push({
      range: firstLineRange(call, (line) => context.lineText(line)),
      message: `${name} has neither bf16 nor fp16 enabled: the Trainer will run in full fp32. Mixed precision typically trains 2–3× faster on Tensor-Core GPUs.`,
      fixes: edit ? [{ title: 'Set bf16=True (changes numerics: mixed precision; needs Ampere or newer)', preferred: false, edits: [edit] }] : [],
      effect: { kind: 'precision', to: 'bf16', label: 'bf16=True' },
    });
  }
  return findings;
}

const FULL_PRECISION = new Set(['32', '32-true', '64', '64-true', 'transformer-engine-float16']);

/** Lightning `Trainer`/`Fabric` on a GPU (explicit, or `auto` by default) with no precision or a full-precision one. */
function checkLightningTrainers(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const values = context.values();
  for (const call of context.lightningTrainers()) {
    const accelerator = values.argument(call, 'accelerator');
    if (accelerator.state === 'unknown') continue;
    if (accelerator.state === 'present') {
      const strings = values.possibleStrings(accelerator.node);
      if (!strings || ![...strings].some((s) => /^(gpu|cuda|auto|tpu|mps)/i.test(s))) continue;
    }
    const precision = values.argument(call, 'precision');
    if (precision.state === 'unknown') continue;
    if (precision.state === 'present') {
      const value = values.resolve(precision.node, { cliDefaults: false });
      const literal = value.kind === 'number' ? String(value.value) : value.kind === 'string' ? value.value : null;
      if (literal === null || !FULL_PRECISION.has(literal)) continue;
    }
    const edit = keywordArgument(call, 'precision')
      ? replaceKeywordValue(call, 'precision', '"bf16-mixed"')
      : addKeywordArgument(context, call, 'precision="bf16-mixed"');
    findings.push({
      range: firstLineRange(call, (line) => context.lineText(line)),
      message: 'This Lightning run on a GPU uses full 32-bit precision (the default). precision="bf16-mixed" typically trains 2–3× faster on Tensor-Core GPUs.',
      fixes: edit ? [{ title: 'Set precision="bf16-mixed" (changes numerics: mixed precision; needs Ampere or newer)', preferred: false, edits: [edit] }] : [],
      effect: { kind: 'precision', to: 'bf16', label: 'precision="bf16-mixed"' },
    });
  }
  return findings;
}
