/**
 * GA407 gradient-checkpointing-unneeded: activation checkpointing switched on although the run's training
 * memory without it fits comfortably in the GPU. The memory is GA607's estimate (weights, gradients,
 * optimizer states, transformer activations, CUDA context; every constant in shared/data/memory-model.json),
 * computed for the run as if checkpointing were off; the rule runs only when every input of it is known.
 */
import type { Node } from 'web-tree-sitter';
import type { MemoryModelKey } from '../../../shared/src/carbon/index';
import type { AnalysisContext } from '../analysis/context';
import { removeStatement, replaceKeywordValue } from '../analysis/edits';
import { calleeMethod, firstLineRange, statementOf } from '../analysis/syntax';
import { gpuOf, hintedParameters, optimizerOf, shippedTables, weightBytesKey } from './GA607-batch-exceeds-gpu-memory';
import type { Fix, Rule, RuleFinding } from './rule';

const TEXT = /checkpoint/;
/**
 * The estimate leaves out embedding/logit activations, temporary buffers and fragmentation (it is GA607's lower
 * bound), so "fits without checkpointing" is claimed only when it uses at most this share of the GPU's memory.
 */
const FITS_SHARE = 0.5;
const GB = 1e9;
const EFFECT = { kind: 'slowdown' as const, factor: 'gradient-checkpointing-recompute', label: 'gradient checkpointing off' };

export const gradientCheckpointingUnneeded: Rule = {
  meta: {
    id: 'GA407',
    slug: 'gradient-checkpointing-unneeded',
    title: 'Gradient checkpointing where the batch fits without it',
    category: 'kernels',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Activation (gradient) checkpointing saves memory by discarding activations in the forward pass and recomputing them during backward — roughly one extra forward pass per step. Hugging Face\'s single-GPU guide: it "slows down training by approximately 20%", and "if the preferred batch size fits into memory, there\'s no reason to apply memory-optimizing techniques because they can slow down the training". The rule estimates the run\'s training memory without checkpointing the same way as GA607 (parameters × bytes for weights, gradients and optimizer states from Hugging Face\'s Model training anatomy, transformer activations after Korthikanti et al. 2022, CUDA context; shared/data/memory-model.json) and reports only when that estimate uses at most half of the GPU\'s memory, since the estimate omits some buffers. Reported at information severity: real memory limits (other processes, long sequences at run time) are not visible statically.',
    fix: 'Turn gradient checkpointing off and, if memory allows, raise the micro-batch instead (fewer accumulation steps for the same global batch).',
    sources: [
      { title: 'Hugging Face — Efficient training on a single GPU, Gradient checkpointing', url: 'https://huggingface.co/docs/transformers/perf_train_gpu_one#gradient-checkpointing', year: 2024 },
      { title: 'Hugging Face Transformers — Model training anatomy (memory of weights, gradients, optimizer states)', url: 'https://huggingface.co/docs/transformers/model_memory_anatomy', year: 2024 },
      { title: 'Chen et al. — Training Deep Nets with Sublinear Memory Cost (recomputation costs one extra forward)', url: 'https://arxiv.org/abs/1604.06174', year: 2016 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text)) return [];
    const site = checkpointingSite(context);
    if (!site) return [];
    const memory = memoryWithoutCheckpointing(context);
    if (!memory || memory.total > FITS_SHARE * memory.capacity) return [];
    const finding: RuleFinding = {
      range: firstLineRange(site.node, (line) => context.lineText(line)),
      message: `Gradient checkpointing recomputes activations during backward (Hugging Face: up to ~20% slower training), but without it this run needs only ~${fmt(memory.total)} GB per GPU (micro-batch ${memory.batch}, ${memory.model}) of the ${fmt(memory.capacity)} GB ${memory.gpu}. Turn it off, and raise the micro-batch if you want to use the memory.`,
      fixes: site.fix ? [site.fix] : [],
      effect: EFFECT,
    };
    return [finding];
  },
};

interface Site {
  node: Node;
  fix: Fix | null;
}

/** Where checkpointing is switched on: `gradient_checkpointing=True`, `model.gradient_checkpointing_enable()`, `checkpoint(...)`. */
function checkpointingSite(context: AnalysisContext): Site | null {
  const values = context.values();
  for (const call of context.huggingFaceArguments()) {
    const lookup = values.argument(call, 'gradient_checkpointing');
    if (lookup.state !== 'present') continue;
    const value = values.resolve(lookup.node, { cliDefaults: false });
    if (value.kind !== 'bool' || !value.value) continue;
    const edit = lookup.node.parent?.type === 'keyword_argument' && lookup.node.parent.parent?.parent?.id === call.id ? replaceKeywordValue(call, 'gradient_checkpointing', 'False') : null;
    return {
      node: lookup.node.parent?.type === 'keyword_argument' ? lookup.node.parent : call,
      fix: edit ? { title: 'Set gradient_checkpointing=False (needs more GPU memory)', preferred: false, edits: [edit] } : null,
    };
  }
  for (const call of context.calls()) {
    const method = calleeMethod(call);
    const qualified = context.qualifiedCallee(call) ?? '';
    if (method === 'gradient_checkpointing_enable') {
      const statement = statementOf(call);
      const edit = statement.type === 'expression_statement' && statement.namedChildren[0]?.id === call.id ? removeStatement(context, statement) : null;
      return { node: call, fix: edit ? { title: 'Remove gradient_checkpointing_enable() (needs more GPU memory)', preferred: false, edits: [edit] } : null };
    }
    if (/^torch\.utils\.checkpoint\.(checkpoint|checkpoint_sequential)$/.test(qualified)) return { node: call, fix: null };
  }
  return null;
}

interface Memory {
  total: number;
  capacity: number;
  batch: number;
  model: string;
  gpu: string;
}

/** GA607's training-memory estimate with full activations; null unless the model, batch, sequence, precision, optimizer and GPU are known. */
function memoryWithoutCheckpointing(context: AnalysisContext): Memory | null {
  const tables = shippedTables();
  if (!tables) return null;
  const facts = context.runFacts();
  const model = facts.model;
  if (model?.kind !== 'language' || !model.row.architecture) return null;
  const batch = facts.hints['batch-size'] ?? facts.batchSize;
  const sequence = facts.hints['seq-length'] ?? facts.seqLength;
  if (!batch || !sequence || !Number.isInteger(batch.value)) return null;
  const weightKey = weightBytesKey(facts);
  const optimizer = optimizerOf(context);
  const gpu = gpuOf(context, tables);
  if (!weightKey || !optimizer || !gpu) return null;
  const constant = (key: MemoryModelKey) => tables.memoryModel.rows.find((row) => row.key === key)?.value ?? NaN;
  const parameters = hintedParameters(facts) ?? model.row.parameters;
  const { layers, hidden } = model.row.architecture;
  const perParameter = constant(weightKey) + constant('gradientBytes') + (optimizer.stateKey ? constant(optimizer.stateKey) : 0);
  const total = parameters * perParameter + constant('cudaContextGB') * GB + batch.value * layers * sequence.value * hidden * constant('transformerActivationBytesPerSbh');
  if (!Number.isFinite(total)) return null;
  return { total, capacity: gpu.row.memoryGB * GB, batch: batch.value, model: model.name, gpu: gpu.row.name };
}

function fmt(bytes: number): string {
  const gb = bytes / GB;
  return gb >= 10 ? gb.toFixed(0) : gb.toFixed(1);
}
