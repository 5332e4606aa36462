import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { lightningCliCalls, lightningCliDefaults } from '../analysis/lightningCli';
import type { ArgumentLookup } from '../analysis/values';
import { addKeywordArgument, ensureImport, replaceKeywordValue, wrapStatements } from '../analysis/edits';
import { calleeName, descendantsOfType, dictEntryOf, firstLineRange, keywordArgument, rangeOf, statementOf } from '../analysis/syntax';
import { inlineDeepSpeedConfigs, sectionSwitch } from '../analysis/deepspeedConfig';
import { loopsInMixedPrecision, precisionCalls, precisionSignals } from '../analysis/mixedPrecision';
import { backwardTarget, type StepLoop } from '../analysis/trainingLoop';
import type { Fix, Rule, RuleFinding } from './rule';

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
    return [
      ...checkHandWrittenLoops(context),
      ...checkHuggingFaceArguments(context),
      ...checkLightningTrainers(context),
      ...checkLightningCli(context),
      ...checkDeepSpeedConfigs(context),
    ];
  },
};

function checkHandWrittenLoops(context: AnalysisContext): RuleFinding[] {
  if (!context.usesTorch()) return [];
  const gpu = context.gpu();
  if (!gpu.present) return [];
  const frameworks = context.frameworks();
  if (['lightning', 'fabric', 'hf-trainer', 'accelerate', 'deepspeed', 'keras'].some((f) => frameworks.has(f as never))) return [];
  const stepLoops = context.stepLoops();
  const mixed = loopsInMixedPrecision(context, stepLoops);
  const findings: RuleFinding[] = [];
  // A step function called from two loops is one finding.
  const reported = new Set<number>();
  for (const stepLoop of stepLoops) {
    if (mixed.has(stepLoop.loop.id)) continue;
    const backward = stepLoop.backwardCalls[0]!;
    if (reported.has(backward.id)) continue;
    reported.add(backward.id);
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

/** Any sign in the file that precision is already handled, or chosen at run time (`autocast(enabled=args.amp)` counts). */
export function usesReducedPrecision(context: AnalysisContext): boolean {
  return precisionCalls(context).length > 0;
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
    // Stop at the loop body, or at the step function's body when the loop reaches its backward through a call.
    if (statement.parent.id === loopBody.id || statement.parent.parent?.type === 'function_definition') break;
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

/**
 * `LightningCLI(trainer_defaults={...})` on a GPU (an accelerator of gpu/cuda/auto, or none: auto) with no precision
 * or a full-precision one. As for GA601, a launch that passes `args=` or default config files may set the precision
 * elsewhere: then silent, as for a defaults dict that is not a literal.
 */
function checkLightningCli(context: AnalysisContext): RuleFinding[] {
  if (!context.frameworks().has('lightning')) return [];
  const findings: RuleFinding[] = [];
  const values = context.values();
  for (const cli of lightningCliCalls(context)) {
    const cliDefaults = lightningCliDefaults(context, cli);
    if (!cliDefaults) continue;
    const { argument, dict: defaults, keys } = cliDefaults;
    const accelerator = keys.get('accelerator');
    if (accelerator) {
      const strings = values.possibleStrings(accelerator);
      if (!strings || ![...strings].some((s) => /^(gpu|cuda|auto|tpu|mps)/i.test(s))) continue;
    }
    const precision = keys.get('precision');
    if (precision) {
      const value = values.resolve(precision, { cliDefaults: false });
      const literal = value.kind === 'number' ? String(value.value) : value.kind === 'string' ? value.value : null;
      if (literal === null || !FULL_PRECISION.has(literal)) continue;
    }
    const fix = cliPrecisionFix(defaults, accelerator ?? null, precision ?? null);
    findings.push({
      range: firstLineRange(argument, (line) => context.lineText(line)),
      message: precision
        ? `trainer_defaults runs this LightningCLI on a GPU at precision ${precision.text}, full 32-bit unless every launch overrides it. precision="bf16-mixed" typically trains 2–3× faster on Tensor-Core GPUs.`
        : 'trainer_defaults runs this LightningCLI on a GPU without a precision, so unless every launch passes --trainer.precision (or a config that sets it), Lightning trains in full 32-bit (the default). precision="bf16-mixed" typically trains 2–3× faster on Tensor-Core GPUs.',
      fixes: fix ? [fix] : [],
      effect: { kind: 'precision', to: 'bf16', label: 'precision="bf16-mixed"' },
    });
  }
  return findings;
}

/** Sets the precision in an inline defaults dict: the existing value, or a new pair after the accelerator. */
function cliPrecisionFix(defaults: Node, accelerator: Node | null, precision: Node | null): Fix | null {
  const title = 'Set "precision": "bf16-mixed" in trainer_defaults (changes numerics: mixed precision; needs Ampere or newer)';
  if (precision) {
    if (precision.parent?.type !== 'pair' || precision.parent.parent?.id !== defaults.id) return null;
    return { title, preferred: false, edits: [{ range: rangeOf(precision), newText: '"bf16-mixed"' }] };
  }
  const pair = accelerator?.parent;
  if (defaults.type !== 'dictionary' || pair?.type !== 'pair' || pair.parent?.id !== defaults.id) return null;
  const quote = pair.childForFieldName('key')?.text.startsWith("'") ? "'" : '"';
  const end = rangeOf(pair).end;
  return { title, preferred: false, edits: [{ range: { start: end, end }, newText: `, ${quote}precision${quote}: ${quote}bf16-mixed${quote}` }] };
}

/**
 * An inline DeepSpeed config (`deepspeed.initialize(config=ds_config)` with a dict literal) in which neither fp16 nor
 * bf16 (nor amp / torch_autocast) is enabled: the engine trains in fp32. A section switched by a variable, "auto", or
 * written without `enabled` is decided elsewhere (silent), as is a file that casts or autocasts on its own.
 */
function checkDeepSpeedConfigs(context: AnalysisContext): RuleFinding[] {
  const configs = inlineDeepSpeedConfigs(context);
  if (configs.length === 0 || precisionSignals(context).length > 0) return [];
  const findings: RuleFinding[] = [];
  for (const config of configs) {
    const switches = ['fp16', 'bf16', 'amp', 'torch_autocast'].map((section) => sectionSwitch(context, config, section));
    const off = (state: (typeof switches)[number]) => state === 'absent' || (typeof state === 'object' && state.value.kind === 'bool' && !state.value.value);
    if (!switches.every(off)) continue;
    const [fp16, bf16] = switches;
    const anchor = typeof bf16 === 'object' ? bf16.node : typeof fp16 === 'object' ? fp16.node : null;
    // The section's line (`"fp16": {"enabled": False},`), or the dict's opening line when neither is written.
    const anchorLine = anchor ? dictEntryOf(anchor) : config.dictionary;
    const fix = deepSpeedBf16Fix(config.keys, typeof bf16 === 'object' ? bf16.node : null, typeof fp16 === 'object' ? fp16.node : null);
    findings.push({
      range: firstLineRange(anchorLine, (line) => context.lineText(line)),
      message: 'This DeepSpeed config trains in full fp32: neither fp16 nor bf16 is enabled. "bf16": {"enabled": True} typically trains 2–3× faster on Tensor-Core GPUs.',
      fixes: fix ? [fix] : [],
      effect: { kind: 'precision', to: 'bf16', label: 'bf16 mixed precision' },
    });
  }
  return findings;
}

/** bf16's `enabled` turned on, or a bf16 section added after the fp16 one. */
function deepSpeedBf16Fix(keys: ReadonlyMap<string, Node>, bf16Enabled: Node | null, fp16Enabled: Node | null): Fix | null {
  const title = 'Enable bf16 in the DeepSpeed config (changes numerics: mixed precision; needs Ampere or newer)';
  if (bf16Enabled) return bf16Enabled.type === 'false' ? { title, preferred: false, edits: [{ range: rangeOf(bf16Enabled), newText: 'True' }] } : null;
  const fp16Section = keys.get('fp16');
  const pair = fp16Section?.parent;
  if (!fp16Enabled || pair?.type !== 'pair' || pair.parent?.type !== 'dictionary') return null;
  const quote = pair.childForFieldName('key')?.text.startsWith("'") ? "'" : '"';
  const end = rangeOf(pair).end;
  return { title, preferred: false, edits: [{ range: { start: end, end }, newText: `, ${quote}bf16${quote}: {${quote}enabled${quote}: True}` }] };
}
