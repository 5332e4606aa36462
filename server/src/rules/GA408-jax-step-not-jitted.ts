/**
 * GA408 jax-step-not-jitted: a JAX training-step function (it differentiates with `jax.grad`/`value_and_grad`
 * or Flax NNX / Equinox equivalents and applies the update) called inside a Python loop, but never compiled:
 * not decorated with `jax.jit`/`pmap`/`nnx.jit`/`eqx.filter_jit`, not wrapped by one of them elsewhere, and
 * not called only from inside a compiled function.
 */
import type { Node } from 'web-tree-sitter';
import type { TextEdit } from 'vscode-languageserver-types';
import type { AnalysisContext } from '../analysis/context';
import { ensureImport } from '../analysis/edits';
import { calleeMethod, calleeName, enclosingFunction, indentationOf, positionalArguments, rangeOf } from '../analysis/syntax';
import { isInsideLoop } from '../analysis/trainingLoop';
import type { Rule, RuleFinding } from './rule';

const TEXT = /grad/;
/** Differentiation by library: the decorator that compiles a step of that library. */
const GRAD_CALLS: readonly { pattern: RegExp; decorator: string; module: string }[] = [
  { pattern: /^(flax\.)?nnx\.(grad|value_and_grad)$/, decorator: 'nnx.jit', module: 'nnx' },
  { pattern: /^equinox\.(filter_grad|filter_value_and_grad)$/, decorator: 'eqx.filter_jit', module: 'eqx' },
  { pattern: /^jax\.(grad|value_and_grad)$/, decorator: 'jax.jit', module: 'jax' },
];
/** Applying the update: optax, Flax TrainState, NNX optimizer, or a hand-written tree_map. */
const UPDATE = /^(apply_updates|apply_gradients|update|tree_map|tree_util\.tree_map)$/;
/** Any compiling transformation, as a decorator or a wrapper. */
const COMPILED = /(^|[.@\s(,])(jit|pjit|pmap|filter_jit|filter_pmap|xmap|shard_map)\b/;

export const jaxStepNotJitted: Rule = {
  meta: {
    id: 'GA408',
    slug: 'jax-step-not-jitted',
    title: 'JAX training step not compiled with jax.jit',
    category: 'training-loop',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Without jax.jit a JAX function runs op by op: every primitive of the forward pass, the gradient and the optimizer update is dispatched separately from Python, with no fusion across operations, so the accelerator waits on the interpreter between small kernels. jax.jit traces the step once and compiles it into one fused XLA executable, which the JAX documentation presents as the main way to make JAX code fast; donate_argnums additionally lets XLA update the parameters in place instead of allocating a new copy every step. A training step called every iteration is exactly where compilation pays off. Reported at information severity: a step with Python side effects (printing, appending to lists) behaves differently when traced.',
    fix: 'Decorate the step with @jax.jit (Flax NNX: @nnx.jit, Equinox: @eqx.filter_jit), or wrap it once: train_step = jax.jit(train_step, donate_argnums=(0,)).',
    sources: [
      { title: 'JAX documentation — Just-in-time compilation', url: 'https://docs.jax.dev/en/latest/jit-compilation.html', year: 2024 },
      { title: 'JAX documentation — Buffer donation', url: 'https://docs.jax.dev/en/latest/buffer_donation.html', year: 2024 },
      { title: 'Flax NNX — nnx.jit and transforms', url: 'https://flax.readthedocs.io/en/latest/guides/transforms.html', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || !(context.imports().importsModule('jax') || context.imports().importsModule('equinox') || context.imports().importsModule('flax'))) return [];
    const findings: RuleFinding[] = [];
    for (const fn of context.nodesOfType('function_definition')) {
      const name = fn.childForFieldName('name');
      if (!name) continue;
      const kind = stepKind(context, fn);
      if (!kind || isCompiled(context, fn, name.text)) continue;
      const loopCall = context.calls().find((call) => calleeName(call) === name.text && isInsideLoop(call) && !insideCompiled(context, call) && enclosingFunction(call)?.id !== fn.id);
      if (!loopCall) continue;
      findings.push({
        range: rangeOf(name),
        message: `${name.text}() computes gradients and applies the update, and is called in a loop, but is never compiled: every JAX operation of the step is dispatched one by one from Python, without XLA fusion. Decorate it with @${kind.decorator} (the JAX docs show jit-compiled functions running several times faster).`,
        related: [{ range: rangeOf(loopCall), message: 'called every iteration here' }],
        fixes: [decoratorFix(context, fn, kind)].filter((fix) => fix !== null),
      });
    }
    return findings;
  },
};

/** The library whose gradient the function takes, when it also applies an update. */
function stepKind(context: AnalysisContext, fn: Node): (typeof GRAD_CALLS)[number] | null {
  let kind: (typeof GRAD_CALLS)[number] | null = null;
  let updates = false;
  for (const call of context.callsWithin(fn)) {
    const qualified = context.qualifiedCallee(call) ?? calleeName(call) ?? '';
    kind ??= GRAD_CALLS.find((entry) => entry.pattern.test(qualified)) ?? null;
    const method = calleeMethod(call) ?? '';
    if (UPDATE.test(method) || /tree_map$/.test(qualified)) updates = true;
  }
  return kind && updates ? kind : null;
}

function decorators(fn: Node): Node[] {
  const parent = fn.parent;
  if (parent?.type !== 'decorated_definition') return [];
  return parent.namedChildren.filter((child): child is Node => child?.type === 'decorator');
}

/** Decorated with a compiling transformation, or passed to one anywhere in the file (`step = jax.jit(step)`). */
function isCompiled(context: AnalysisContext, fn: Node, name: string): boolean {
  if (decorators(fn).some((decorator) => COMPILED.test(decorator.text))) return true;
  return context.calls().some((call) => {
    const callee = context.qualifiedCallee(call) ?? calleeName(call) ?? '';
    const wrapped = positionalArguments(call)[0];
    if (wrapped?.text !== name) return false;
    // `jax.jit(step)`, `partial(jax.jit, ...)(step)`.
    return COMPILED.test(callee) || COMPILED.test(call.childForFieldName('function')?.text ?? '');
  });
}

/** A call made from inside a compiled function is traced with it. */
function insideCompiled(context: AnalysisContext, call: Node): boolean {
  for (let fn = enclosingFunction(call); fn; fn = enclosingFunction(fn)) {
    const name = fn.childForFieldName('name')?.text;
    if (isCompiled(context, fn, name ?? '')) return true;
  }
  return false;
}

function decoratorFix(context: AnalysisContext, fn: Node, kind: (typeof GRAD_CALLS)[number]): { title: string; preferred: boolean; edits: TextEdit[] } | null {
  const module = kind.decorator.split('.')[0]!;
  const edits: TextEdit[] = [];
  if (!context.imports().binds(module)) {
    if (module !== 'jax') return null;
    const added = ensureImport(context, 'jax');
    if (added) edits.push(added);
  }
  const first = fn.parent?.type === 'decorated_definition' ? fn.parent : fn;
  const row = first.startPosition.row;
  edits.push({ range: { start: { line: row, character: 0 }, end: { line: row, character: 0 } }, newText: `${indentationOf(context.lineText(row))}@${kind.decorator}${context.newline()}` });
  return { title: `Decorate with @${kind.decorator} (Python side effects in the step then run only when it is traced)`, preferred: false, edits };
}
