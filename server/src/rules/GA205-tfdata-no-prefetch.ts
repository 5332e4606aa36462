/**
 * GA205 tfdata-no-prefetch: a tf.data pipeline that feeds Keras `fit` (or a training loop) without
 * `.prefetch(...)`, and `.map(...)` without `num_parallel_calls`. A pipeline is followed from its source
 * (`tf.data.Dataset.from_tensor_slices(...)`, `TFRecordDataset(...)`, …) through the names it is
 * re-bound to (`ds = ds.map(f).batch(32)`), in one scope, to the call that consumes it.
 */
import type { Range } from 'vscode-languageserver-types';
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument } from '../analysis/edits';
import { calleeMethod, calleeOf, enclosingFunction, firstLineRange, keywordArgument, positionalArguments, rangeOf, receiverOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const TEXT = /tf\.data|tensorflow\.data|TFRecordDataset|from_tensor_slices/;
/** Constructors of a tf.data pipeline, by qualified name. */
const SOURCE = /^tensorflow\.data\.(Dataset\.\w+|TFRecordDataset|TextLineDataset|FixedLengthRecordDataset|experimental\.\w+)$/;
/** Consumers that train on a pipeline: Keras `fit`, or a loop whose body takes training steps. */
const TRAINING_BODY = /train|GradientTape|apply_gradients|optimizer\./;
/** Options that let tf.data decide prefetching itself. */
const AUTOTUNED_ELSEWHERE = /with_options|inject_prefetch/;
const EFFECT = { kind: 'slowdown' as const, factor: 'tfdata-input-stall', label: '.prefetch(tf.data.AUTOTUNE)' };

export const tfdataNoPrefetch: Rule = {
  meta: {
    id: 'GA205',
    slug: 'tfdata-no-prefetch',
    title: 'tf.data pipeline without prefetch or parallel map',
    category: 'input-pipeline',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'A tf.data pipeline without .prefetch() produces the next batch only when the training step asks for it, so the accelerator waits for every batch\'s reading, decoding and augmentation; a .map() without num_parallel_calls runs the preprocessing function on one CPU core. TensorFlow\'s "Better performance with the tf.data API" guide recommends ending every pipeline with .prefetch(tf.data.AUTOTUNE), which overlaps producing batch n+1 with training on batch n, and parallelising map with num_parallel_calls=tf.data.AUTOTUNE. Reported at information severity: recent TensorFlow releases can inject a prefetch automatically (tf.data optimisation options), and a pipeline built in another module is not visible here.',
    fix: 'End the pipeline with .prefetch(tf.data.AUTOTUNE) and pass num_parallel_calls=tf.data.AUTOTUNE to .map() (output order is kept unless deterministic=False).',
    sources: [
      { title: 'TensorFlow guide — Better performance with the tf.data API (prefetching, parallelizing data transformation)', url: 'https://www.tensorflow.org/guide/data_performance', year: 2024 },
      { title: 'tf.data.Dataset.prefetch / map API documentation', url: 'https://www.tensorflow.org/api_docs/python/tf/data/Dataset', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || !context.imports().importsModule('tensorflow')) return [];
    const tf = tensorflowName(context);
    const findings: RuleFinding[] = [];
    const reported = new Set<number>();
    for (const pipeline of pipelines(context)) {
      if (!pipeline.consumer) continue;
      for (const map of pipeline.calls.filter((call) => calleeMethod(call) === 'map' && !keywordArgument(call, 'num_parallel_calls'))) {
        if (reported.has(map.id) || positionalArguments(map).length > 1) continue;
        reported.add(map.id);
        const edit = tf ? addKeywordArgument(context, map, `num_parallel_calls=${tf}.data.AUTOTUNE`) : null;
        findings.push({
          range: methodRange(map, (line) => context.lineText(line)),
          message: 'This tf.data .map() runs its preprocessing function on one CPU core while the accelerator waits; num_parallel_calls=tf.data.AUTOTUNE spreads it over the cores (output order is kept).',
          fixes: edit ? [{ title: 'Add num_parallel_calls=tf.data.AUTOTUNE (random augmentations may draw in a different order)', preferred: false, edits: [edit] }] : [],
        });
      }
      if (pipeline.calls.some((call) => calleeMethod(call) === 'prefetch') || AUTOTUNED_ELSEWHERE.test(context.text)) continue;
      if (reported.has(pipeline.last.id)) continue;
      reported.add(pipeline.last.id);
      const fixes: Fix[] = tf
        ? [{ title: 'Append .prefetch(tf.data.AUTOTUNE)', preferred: true, edits: [{ range: { start: rangeOf(pipeline.last).end, end: rangeOf(pipeline.last).end }, newText: `.prefetch(${tf}.data.AUTOTUNE)` }] }]
        : [];
      findings.push({
        range: firstLineRange(pipeline.last, (line) => context.lineText(line)),
        message: 'This tf.data pipeline feeds training without .prefetch(): each batch is read and preprocessed only when the step asks for it, so the accelerator idles in between. End it with .prefetch(tf.data.AUTOTUNE) to overlap input with training.',
        related: [{ range: firstLineRange(pipeline.consumer, (line) => context.lineText(line)), message: 'the pipeline is consumed here' }],
        fixes,
        effect: EFFECT,
      });
    }
    return findings;
  },
};

interface Pipeline {
  /** Every call of the pipeline's chains, source included. */
  calls: Node[];
  /** The outermost expression of the last chain: where a prefetch would be appended. */
  last: Node;
  /** The training call or loop that consumes it; null when none was found. */
  consumer: Node | null;
}

/** The name `tensorflow` is bound to (`tf` for `import tensorflow as tf`); null when only submodules are imported. */
function tensorflowName(context: AnalysisContext): string | null {
  if (context.imports().binds('tf') && context.imports().qualify('tf') === 'tensorflow') return 'tf';
  if (context.imports().binds('tensorflow')) return 'tensorflow';
  return null;
}

/** `.map(f)` in a chain, from the method name: a chain written over several lines marks the map's own line. */
function methodRange(call: Node, lineText: (line: number) => string): Range {
  const name = calleeOf(call)?.childForFieldName('attribute');
  if (!name) return firstLineRange(call, lineText);
  const start = { line: name.startPosition.row, character: name.startPosition.column };
  const end = call.endPosition.row === name.startPosition.row
    ? { line: call.endPosition.row, character: call.endPosition.column }
    : { line: start.line, character: lineText(start.line).length };
  return { start, end };
}

/** The outermost call of a method chain that `call` belongs to: `a().b().c()` for `a()`. */
function chainTop(call: Node): Node {
  let top = call;
  for (;;) {
    const attribute = top.parent;
    const outer = attribute?.parent;
    if (attribute?.type === 'attribute' && outer?.type === 'call' && calleeOf(outer)?.id === attribute.id) top = outer;
    else return top;
  }
}

/** Calls of the chain from `top` down to its root expression. */
function chainCalls(top: Node): { calls: Node[]; root: Node | null } {
  const calls: Node[] = [];
  let current: Node | null = top;
  while (current?.type === 'call') {
    calls.push(current);
    current = receiverOf(current);
  }
  return { calls, root: current };
}

function pipelines(context: AnalysisContext): Pipeline[] {
  const result: Pipeline[] = [];
  const seen = new Set<number>();
  for (const source of context.calls()) {
    if (!SOURCE.test(context.qualifiedCallee(source) ?? '') || seen.has(source.id)) continue;
    const top = chainTop(source);
    const pipeline: Pipeline = { calls: chainCalls(top).calls, last: top, consumer: null };
    for (const call of pipeline.calls) seen.add(call.id);
    let names = new Set<string>();
    const bound = boundName(top);
    if (bound) names.add(bound);
    else pipeline.consumer = consumerOf(top);
    const scope = enclosingFunction(source);
    // Follow re-bindings in document order: `ds = ds.map(f)`, `train = ds.batch(32)`.
    for (const assignment of context.nodesOfType('assignment')) {
      if (names.size === 0 || assignment.startIndex < top.endIndex || enclosingFunction(assignment)?.id !== scope?.id) continue;
      const right = assignment.childForFieldName('right');
      const left = assignment.childForFieldName('left');
      if (right?.type !== 'call' || left?.type !== 'identifier') continue;
      const { calls, root } = chainCalls(right);
      if (root?.type !== 'identifier' || !names.has(root.text)) continue;
      pipeline.calls.push(...calls);
      pipeline.last = right;
      names = new Set([...names, left.text]);
    }
    if (!pipeline.consumer) pipeline.consumer = consumerByName(context, names, scope, pipeline);
    result.push(pipeline);
  }
  return result;
}

/** The expression a chain stands for, outside any parentheses around it. */
function unparenthesized(node: Node): Node {
  let current = node;
  while (current.parent?.type === 'parenthesized_expression') current = current.parent;
  return current;
}

function boundName(top: Node): string | null {
  const outer = unparenthesized(top);
  const assignment = outer.parent;
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')?.id !== outer.id) return null;
  const left = assignment.childForFieldName('left');
  return left?.type === 'identifier' ? left.text : null;
}

/** A chain passed straight to `fit(...)`. */
function consumerOf(top: Node): Node | null {
  const outer = unparenthesized(top);
  const argumentList = outer.parent?.type === 'keyword_argument' ? outer.parent.parent : outer.parent;
  const call = argumentList?.parent;
  return argumentList?.type === 'argument_list' && call?.type === 'call' && calleeMethod(call) === 'fit' ? call : null;
}

/**
 * `model.fit(ds, ...)` / `fit(x=ds)` / `fit(ds.batch(32))` / `fit(..., validation_data=ds)` (the validation pipeline
 * runs every epoch too), or `for batch in ds:` taking training steps. A chain written inside the `fit(...)` call itself
 * becomes the pipeline's last expression, so that a prefetch goes there.
 */
function consumerByName(context: AnalysisContext, names: Set<string>, scope: Node | null, pipeline: Pipeline): Node | null {
  if (names.size === 0) return null;
  for (const call of context.calls()) {
    if (calleeMethod(call) !== 'fit' || enclosingFunction(call)?.id !== scope?.id) continue;
    const training = keywordArgument(call, 'x')?.childForFieldName('value') ?? positionalArguments(call)[0];
    const validation = keywordArgument(call, 'validation_data')?.childForFieldName('value');
    for (const data of [training, validation]) {
      if (!data) continue;
      if (data.type === 'identifier' && names.has(data.text)) return call;
      if (data.type === 'call') {
        const { calls, root } = chainCalls(data);
        if (root?.type === 'identifier' && names.has(root.text)) {
          pipeline.calls.push(...calls);
          pipeline.last = data;
          return call;
        }
      }
    }
  }
  for (const loop of context.nodesOfType('for_statement')) {
    const iterable = loop.childForFieldName('right');
    if (iterable?.type !== 'identifier' || !names.has(iterable.text) || enclosingFunction(loop)?.id !== scope?.id) continue;
    if (TRAINING_BODY.test(loop.childForFieldName('body')?.text ?? '')) return loop;
  }
  return null;
}
