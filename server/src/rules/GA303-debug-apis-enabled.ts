import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { DEBUG_WORD } from '../analysis/debugGate';
import { inlineDeepSpeedConfigs, sectionSwitch } from '../analysis/deepspeedConfig';
import { removeKeywordArgument, removeStatement, unwrapWith } from '../analysis/edits';
import { calleeMethod, calleeName, contains, dictEntryOf, firstLineRange, keywordArgument, keywordValue, positionalArguments, rangeOf, stringLiteralValue } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

/** Every API this rule knows leaves one of these words in the text; most files contain none. */
const PREFILTER = /anomaly|profil|emit_nvtx|gradcheck|skip_memory_metrics|eagerly|jax_debug_nans|jax_debug_infs|jax_disable_jit|wall_clock_breakdown/;
const JAX_DEBUG_FLAGS = new Set(['jax_debug_nans', 'jax_debug_infs', 'jax_disable_jit']);
/** Calls that run training when wrapped by a profiler: `train(...)`, `train_one_epoch(...)`, `trainer.fit(...)`. */
const TRAINING_CALL = /^(train(_one_epoch|_epoch|_loop|_model)?|fit)$/;

export const debugApisEnabled: Rule = {
  meta: {
    id: 'GA303',
    slug: 'debug-apis-enabled',
    title: 'Debugging or profiling APIs left on in training',
    category: 'training-loop',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'Anomaly detection, the autograd profiler and gradcheck are "intended for debugging and should be disabled for regular training runs" (PyTorch Tuning Guide): anomaly detection records a traceback for every operation and checks every backward result, and an unscheduled profiler records every kernel of the whole run. TensorFlow warns that running functions eagerly "significantly slows down execution"; JAX\'s jax_debug_nans checks every value XLA produces and jax_disable_jit runs op by op; Hugging Face skips memory metrics by default "because it slows down the training and evaluation". The run takes longer on the same hardware, for diagnostics nobody reads.',
    fix: 'Remove the call or keyword, or run it only in an explicit debug mode (`if args.debug:`); profile a few steps with torch.profiler.schedule(wait=…, warmup=…, active=…) instead of the whole run.',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Disable debugging APIs', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'tf.config.run_functions_eagerly', url: 'https://www.tensorflow.org/api_docs/python/tf/config/run_functions_eagerly', year: 2024 },
      { title: 'JAX debugging flags', url: 'https://docs.jax.dev/en/latest/debugging/flags.html', year: 2024 },
      { title: 'Hugging Face TrainingArguments (skip_memory_metrics)', url: 'https://huggingface.co/docs/transformers/main_classes/trainer', year: 2024 },
      { title: 'torch.profiler — profiling a limited number of steps with schedule', url: 'https://pytorch.org/docs/stable/profiler.html', year: 2024 },
    ],
  },
  check(context) {
    if (!PREFILTER.test(context.text)) return [];
    const findings: RuleFinding[] = [];
    const add = (finding: RuleFinding | null) => {
      if (finding) findings.push(finding);
    };
    for (const call of context.calls()) {
      switch (calleeMethod(call)) {
        case 'set_detect_anomaly':
          if (isTorch(context, call) && isOn(context, positionalArguments(call)[0] ?? keywordValue(call, 'mode'))) {
            add(callFinding(context, call, 'torch.autograd.set_detect_anomaly(True) records a traceback for every operation and checks every backward result for NaN'));
          }
          break;
        case 'detect_anomaly':
          if (isTorch(context, call) && withStatementOf(call)) {
            add(callFinding(context, call, 'torch.autograd.detect_anomaly() records a traceback for every operation and checks every backward result for NaN'));
          }
          break;
        case 'profile':
        case 'emit_nvtx':
          add(profilerFinding(context, call));
          break;
        case 'gradcheck':
        case 'gradgradcheck':
          if (isTorch(context, call) && context.stepLoops().some((step) => contains(step.loop, call))) {
            add(callFinding(context, call, `${calleeName(call) ?? 'gradcheck'}() inside the training loop compares numerical and analytical gradients (in float64) every step`));
          }
          break;
        case 'run_functions_eagerly':
        case 'experimental_run_functions_eagerly':
          if (/^(tensorflow|tf)\./.test(context.qualifiedCallee(call) ?? '') && isOn(context, positionalArguments(call)[0] ?? null)) {
            add(callFinding(context, call, 'tf.config.run_functions_eagerly(True) runs every tf.function eagerly, which significantly slows down execution'));
          }
          break;
        case 'update':
          add(jaxFlagFinding(context, call));
          break;
        case 'compile':
          add(keywordFinding(context, call, 'run_eagerly', true, 'Model.compile(run_eagerly=True) runs the Keras model eagerly, step by step in Python, which significantly slows down training'));
          break;
      }
    }
    for (const trainer of context.lightningTrainers()) {
      if (!/Trainer$/.test(calleeName(trainer) ?? '')) continue;
      add(keywordFinding(context, trainer, 'detect_anomaly', true, 'Trainer(detect_anomaly=True) turns on autograd anomaly detection for the whole run: a traceback for every operation, a NaN check of every backward result'));
      add(lightningProfilerFinding(context, trainer));
    }
    for (const args of context.huggingFaceArguments()) {
      add(keywordFinding(context, args, 'skip_memory_metrics', false, 'skip_memory_metrics=False makes the Trainer track memory around every training and evaluation call, which slows them down (Hugging Face skips it by default for that reason)'));
    }
    findings.push(...deepSpeedSwitches(context));
    return findings;
  },
};

function isTorch(context: AnalysisContext, call: Node): boolean {
  return (context.qualifiedCallee(call) ?? '').startsWith('torch.');
}

/** Literally on (True, a constant that is True); a variable or CLI flag is a choice made at launch, and a `debug`-named switch is a gate. */
function isOn(context: AnalysisContext, node: Node | null): boolean {
  if (!node || DEBUG_WORD.test(node.text)) return false;
  const value = context.values().resolve(node, { cliDefaults: false });
  return value.kind === 'bool' && value.value;
}

interface WithContext {
  statement: Node;
  items: number;
  alias: string | null;
}

/** The `with` statement whose item is this call (`with f():` or `with f() as x:`). */
function withStatementOf(call: Node): WithContext | null {
  let item = call.parent;
  let alias: string | null = null;
  if (item?.type === 'as_pattern') {
    alias = item.childForFieldName('alias')?.text ?? null;
    item = item.parent;
  }
  if (item?.type !== 'with_item') return null;
  const clause = item.parent;
  const statement = clause?.parent;
  if (clause?.type !== 'with_clause' || statement?.type !== 'with_statement') return null;
  return { statement, items: clause.namedChildren.filter((child) => child?.type === 'with_item').length, alias };
}

/** The fix that takes the API out: the whole statement, or the `with` around a body that stays. */
function removalFix(context: AnalysisContext, call: Node): Fix | null {
  const shown = calleeName(call) ?? 'the call';
  const within = withStatementOf(call);
  if (within) {
    if (within.items !== 1 || within.alias !== null) return null;
    const edit = unwrapWith(context, within.statement);
    return edit ? { title: `Remove \`with ${shown}(…)\` and keep its body (no more debug checks)`, preferred: false, edits: [edit] } : null;
  }
  const statement = call.parent;
  if (statement?.type !== 'expression_statement' || statement.namedChildren.length !== 1) return null;
  const edit = removeStatement(context, statement);
  return edit ? { title: `Remove ${shown}(…) (no more debug checks)`, preferred: false, edits: [edit] } : null;
}

function callFinding(context: AnalysisContext, call: Node, what: string): RuleFinding | null {
  if (context.isDebugGated(call)) return null;
  const fix = removalFix(context, call);
  return {
    range: firstLineRange(call, (line) => context.lineText(line)),
    message: `${what}; that is debugging work on every step of a regular run. Remove it, or run it only in a debug mode (\`if args.debug:\`).`,
    fixes: fix ? [fix] : [],
  };
}

/** A keyword set to the debugging value (`detect_anomaly=True`, `skip_memory_metrics=False`), anchored on the keyword. */
function keywordFinding(context: AnalysisContext, call: Node, keyword: string, debugValue: boolean, what: string): RuleFinding | null {
  const argument = keywordArgument(call, keyword);
  const value = argument?.childForFieldName('value');
  if (!argument || !value || DEBUG_WORD.test(value.text) || context.isDebugGated(call)) return null;
  const resolved = context.values().resolve(value, { cliDefaults: false });
  if (resolved.kind !== 'bool' || resolved.value !== debugValue) return null;
  const edit = removeKeywordArgument(call, keyword);
  return {
    range: rangeOf(argument),
    message: `${what}. Remove it for regular training runs.`,
    fixes: edit ? [{ title: `Remove ${argument.text} (the default)`, preferred: false, edits: [edit] }] : [],
  };
}

/** `jax.config.update("jax_debug_nans", True)` and friends. */
function jaxFlagFinding(context: AnalysisContext, call: Node): RuleFinding | null {
  if (!/^jax\.config\.update$|(^|\.)config\.update$/.test(context.qualifiedCallee(call) ?? '')) return null;
  if (!context.imports().importsModule('jax')) return null;
  const [flag, value] = positionalArguments(call);
  const name = flag ? stringLiteralValue(flag) : null;
  if (!name || !JAX_DEBUG_FLAGS.has(name) || !isOn(context, value ?? null)) return null;
  const what = name === 'jax_disable_jit'
    ? 'jax_disable_jit turns off compilation: every jitted function runs op by op in Python'
    : `${name} checks every floating-point value XLA produces (pulling values to the host outside jit) and re-runs jitted functions op by op when one is found`;
  return callFinding(context, call, what);
}

/** `with torch.profiler.profile():` around the whole training loop, without a `schedule` that limits it to a few steps. */
function profilerFinding(context: AnalysisContext, call: Node): RuleFinding | null {
  const qualified = context.qualifiedCallee(call) ?? '';
  if (!/^torch\.(profiler\.profile|autograd\.profiler\.(profile|emit_nvtx)|cuda\.profiler\.profile)$/.test(qualified)) return null;
  if (keywordValue(call, 'schedule')) return null;
  const enabled = keywordValue(call, 'enabled') ?? (qualified.startsWith('torch.autograd.profiler') ? positionalArguments(call)[0] ?? null : null);
  if (enabled && !isOn(context, enabled)) return null;
  const within = withStatementOf(call);
  const body = within?.statement.childForFieldName('body');
  if (!within || !body || !wrapsTraining(context, body)) return null;
  const kind = qualified.endsWith('emit_nvtx') ? 'emit_nvtx()' : 'The profiler';
  return callFinding(context, call, `${kind} without a schedule wraps the whole training loop and records every operation of every step`);
}

/** The body holds a full training loop (not one cut short by a `break`, the few-step profiling idiom) or calls the training function. */
function wrapsTraining(context: AnalysisContext, body: Node): boolean {
  const loops = context.stepLoops().filter((step) => contains(body, step.loop));
  if (loops.length > 0) return loops.some((step) => !/\bbreak\b/.test(step.loop.text));
  return context.callsWithin(body).some((inner) => {
    const method = calleeMethod(inner) ?? '';
    // `train(...)` as a plain function, or `trainer.fit(...)`; never `model.train()`, which only switches mode.
    return (calleeName(inner) === method && TRAINING_CALL.test(method)) || method === 'fit';
  });
}

/** Lightning `Trainer(profiler="simple" | "advanced" | "pytorch" | SomeProfiler(...))` without a schedule. */
function lightningProfilerFinding(context: AnalysisContext, trainer: Node): RuleFinding | null {
  const argument = keywordArgument(trainer, 'profiler');
  const value = argument?.childForFieldName('value');
  if (!argument || !value || context.isDebugGated(trainer) || DEBUG_WORD.test(value.type === 'string' ? '' : value.text)) return null;
  const expression = value.type === 'identifier' ? context.values().definitionOf(value) : value;
  if (!expression) return null;
  let profiler: string | null = null;
  if (expression.type === 'string') profiler = stringLiteralValue(expression);
  else if (expression.type === 'call' && /Profiler$/.test(calleeName(expression) ?? '') && !keywordValue(expression, 'schedule')) {
    profiler = calleeName(expression);
  }
  if (!profiler) return null;
  const edit = removeKeywordArgument(trainer, 'profiler');
  return {
    range: rangeOf(argument),
    message: `Trainer(profiler=${value.text}) profiles every step of the whole run. Remove it for regular training runs, or profile a few steps (PyTorchProfiler with a schedule) in a separate short run.`,
    fixes: edit ? [{ title: `Remove ${argument.text}`, preferred: false, edits: [edit] }] : [],
  };
}

/**
 * An inline DeepSpeed config (`deepspeed.initialize(config=ds_config)` with a dict literal) with `wall_clock_breakdown`
 * or the flops profiler literally on, as the config-file form of this rule reads them from a DeepSpeed JSON.
 */
function deepSpeedSwitches(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const config of inlineDeepSpeedConfigs(context)) {
    if (context.isDebugGated(config.initialize) || context.isDebugGated(config.dictionary)) continue;
    const switches: { node: Node | undefined; what: string }[] = [
      { node: config.keys.get('wall_clock_breakdown'), what: '"wall_clock_breakdown": True synchronises the GPU to time every forward, backward and optimizer step' },
    ];
    const profiler = sectionSwitch(context, config, 'flops_profiler');
    if (typeof profiler === 'object') switches.push({ node: profiler.node, what: 'the DeepSpeed flops profiler ("flops_profiler": {"enabled": True}) profiles the model during training' });
    for (const { node, what } of switches) {
      if (!node || !isOn(context, node)) continue;
      findings.push({
        range: firstLineRange(dictEntryOf(node), (line) => context.lineText(line)),
        message: `${what}; that is debugging work on every step of a regular run. Turn it off, or set it only in a debug mode (\`if args.debug:\`).`,
        fixes: node.type === 'true' ? [{ title: 'Set it to False (no more per-step timing)', preferred: false, edits: [{ range: rangeOf(node), newText: 'False' }] }] : [],
      });
    }
  }
  return findings;
}
