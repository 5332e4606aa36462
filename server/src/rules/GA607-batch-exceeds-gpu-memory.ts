import type { TextEdit } from 'vscode-languageserver-types';
import { loadTables, resolveGpu, type GpuRow, type MemoryModelKey, type Tables } from '../../../shared/src/carbon/index';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument } from '../analysis/edits';
import { calleeName, keywordArgument, keywordValue, rangeOf } from '../analysis/syntax';
import type { RunFacts } from '../estimates/extract';
import type { Fix, Rule, RuleFinding } from './rule';

/** Only `from_pretrained(...)` yields a language model the tables size. */
const TEXT = /from_pretrained/;
/**
 * Set-ups the estimate does not model, where memory is much lower than plain data-parallel training:
 * activation checkpointing, sharded or offloaded states (ZeRO, FSDP), adapters (PEFT/LoRA), quantised
 * weights or optimizers, weights loaded or cast to 16 bits, and factorised optimizers.
 */
const UNMODELLED = /gradient_checkpointing|checkpoint_sequential|utils\.checkpoint|activation_checkpointing|deepspeed|fsdp|FullyShardedDataParallel|ZeroRedundancyOptimizer|offload|peft|LoraConfig|load_in_[48]bit|BitsAndBytes|bitsandbytes|bnb\.|8bit|torch_dtype|\.half\(\)|\.bfloat16\(\)|adafactor|galore|lomo/i;
const GB = 1e9;

export const batchExceedsGpuMemory: Rule = {
  meta: {
    id: 'GA607',
    slug: 'batch-exceeds-gpu-memory',
    title: 'Micro-batch does not fit in the GPU memory',
    category: 'schedule',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'A run whose micro-batch does not fit dies with CUDA out-of-memory after the job was queued, the model loaded and the data prepared, wasting the whole slot (and often a retry or two). Training memory per GPU is estimated as parameters × (weights + gradients + optimizer states) + activations + the CUDA context: 4 bytes per parameter for fp32 weights (6 in mixed precision, which keeps fp32 master weights), 4 for gradients, 8 for Adam/AdamW (two fp32 states), 4 for SGD with momentum and none for plain SGD (Hugging Face, Model training anatomy); transformer activations are layers × s × b × h × 34 bytes (Korthikanti et al. 2022, with the attention scores not stored, as fused attention does); plus 1.3 GB of CUDA context. Every constant is a row of shared/data/memory-model.json. The estimate is a lower bound (embedding and logit activations, temporary buffers and fragmentation are left out), so a batch reported as not fitting does not fit. It runs only when the model\'s parameter count and shape (language-models.json), the optimizer, the micro-batch and the sequence length are all known, and stays silent on set-ups it does not model (gradient checkpointing, DeepSpeed/FSDP, PEFT/LoRA, quantised or 16-bit-loaded weights, 8-bit or factorised optimizers). The GPU is the one the script requests (#SBATCH --gres=gpu:TYPE:N, --gpus=TYPE:N), else greenAI.hardware.gpu.',
    fix: 'Use the largest micro-batch that fits and raise gradient accumulation so that micro-batch × accumulation keeps the global batch (Hugging Face: per_device_train_batch_size and gradient_accumulation_steps); gradient checkpointing or mixed precision also lower the activation memory.',
    sources: [
      { title: 'Hugging Face Transformers — Model training anatomy (memory of weights, gradients, optimizer states)', url: 'https://huggingface.co/docs/transformers/model_memory_anatomy', year: 2024 },
      { title: 'Korthikanti et al. — Reducing Activation Recomputation in Large Transformer Models (activation memory per layer)', url: 'https://arxiv.org/abs/2205.05198', year: 2022 },
      { title: 'Hugging Face — Efficient training on a single GPU, Gradient Accumulation', url: 'https://huggingface.co/docs/transformers/perf_train_gpu_one#gradient-accumulation', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || UNMODELLED.test(context.text)) return [];
    const tables = shippedTables();
    if (!tables) return [];
    const facts = context.runFacts();
    const model = facts.model;
    if (model?.kind !== 'language' || !model.row.architecture) return [];
    const batch = facts.hints['batch-size'] ?? facts.batchSize;
    const sequence = facts.hints['seq-length'] ?? facts.seqLength;
    if (!batch || !sequence || batch.line === null || !Number.isInteger(batch.value)) return [];
    const weightKey = weightBytesKey(facts);
    if (!weightKey) return [];
    const optimizer = optimizerOf(context);
    if (!optimizer) return [];
    const gpu = gpuOf(context, tables);
    if (!gpu) return [];

    const constant = (key: MemoryModelKey) => tables.memoryModel.rows.find((row) => row.key === key)?.value ?? NaN;
    const parameters = hintedParameters(facts) ?? model.row.parameters;
    const { layers, hidden } = model.row.architecture;
    const perParameter = constant(weightKey) + constant('gradientBytes') + (optimizer.stateKey ? constant(optimizer.stateKey) : 0);
    const staticBytes = parameters * perParameter + constant('cudaContextGB') * GB;
    const activationPerSample = layers * sequence.value * hidden * constant('transformerActivationBytesPerSbh');
    const total = staticBytes + batch.value * activationPerSample;
    const capacity = gpu.row.memoryGB * GB;
    if (!Number.isFinite(total) || total <= capacity) return [];

    const fitting = Math.floor((capacity - staticBytes) / activationPerSample);
    const accumulation = facts.gradAccumulation?.value ?? 1;
    const globalPerDevice = batch.value * accumulation;
    const micro = largestDivisorAtMost(globalPerDevice, fitting);
    const breakdown = `${fmt(parameters * perParameter)} GB for weights, gradients and ${optimizer.label} states + ${fmt(batch.value * activationPerSample)} GB of activations (${layers} layers × ${sequence.value} tokens × ${hidden} hidden × ${batch.value} samples) + ${fmt(constant('cudaContextGB') * GB)} GB CUDA context`;
    const advice = micro
      ? `The largest micro-batch that fits is about ${fitting}; ${micro} × ${globalPerDevice / micro} accumulation steps keeps the global batch of ${globalPerDevice} per device.`
      : staticBytes >= capacity
        ? `The weights, gradients and optimizer states alone exceed the GPU: shard them (DeepSpeed ZeRO, FSDP), train adapters (PEFT/LoRA), use an 8-bit optimizer, or a larger GPU.`
        : `Even a micro-batch of 1 does not fit: use gradient checkpointing${weightKey === 'weightBytesFp32' ? ', mixed precision' : ''}, a sharded optimizer (ZeRO/FSDP) or a larger GPU.`;
    const message = `Micro-batch ${batch.value} of ${model.name} needs at least ~${fmt(total)} GB per GPU in training (${breakdown}), more than the ${fmt(capacity)} GB of the ${gpu.row.name} (${gpu.from}): the run would stop with CUDA out-of-memory. ${advice}`;
    const finding: RuleFinding = { range: lineRange(context, batch.line), message };
    if (micro) finding.fixes = huggingFaceFix(context, facts, micro, globalPerDevice / micro);
    return [finding];
  },
};

export function shippedTables(): Tables | null {
  const loaded = loadTables();
  return loaded.ok ? loaded.value : null;
}

export function hintedParameters(facts: RunFacts): number | null {
  return facts.hints.parameters?.value ?? null;
}

/** fp32 weights for fp32/tf32 runs, fp32 master + 16-bit copy for mixed precision; fp8 is not modelled. */
export function weightBytesKey(facts: RunFacts): MemoryModelKey | null {
  switch (facts.precision.value) {
    case 'fp32':
    case 'tf32':
      return 'weightBytesFp32';
    case 'bf16':
    case 'fp16':
      return 'weightBytesMixed';
    default:
      return null;
  }
}

export interface Optimizer {
  label: string;
  stateKey: MemoryModelKey | null;
}

const ADAM_FAMILY = /^(Adam|AdamW|NAdam|RAdam|Adamax)$/;
/** Trainer `optim=` values backed by a 32-bit Adam (https://huggingface.co/docs/transformers/main_classes/trainer). */
const HF_ADAM = /^adamw_(torch|hf|torch_fused|apex_fused|torch_xla|torch_npu_fused)$/;

/** The optimizer the script builds: a `torch.optim` constructor, else the Trainer's `optim=` (default AdamW); null when unknown. */
export function optimizerOf(context: AnalysisContext): Optimizer | null {
  const values = context.values();
  let found: Optimizer | null = null;
  for (const call of context.calls()) {
    const qualified = context.qualifiedCallee(call) ?? calleeName(call) ?? '';
    const match = /^torch\.optim\.(\w+)$/.exec(qualified);
    if (!match) continue;
    const name = match[1]!;
    let optimizer: Optimizer | null = null;
    if (ADAM_FAMILY.test(name)) optimizer = { label: name, stateKey: 'adamStateBytes' };
    else if (name === 'SGD') {
      const lookup = values.argument(call, 'momentum', 2);
      if (lookup.state === 'absent') optimizer = { label: 'SGD (no momentum)', stateKey: null };
      else if (lookup.state === 'present') {
        const momentum = values.resolve(lookup.node);
        if (momentum.kind === 'number') optimizer = momentum.value > 0 ? { label: 'SGD-momentum', stateKey: 'momentumStateBytes' } : { label: 'SGD (no momentum)', stateKey: null };
      }
    }
    // Several optimizers, or one we do not model: no estimate.
    if (!optimizer || (found && found.stateKey !== optimizer.stateKey)) return null;
    found = optimizer;
  }
  if (found) return found;
  const args = context.huggingFaceArguments()[0];
  if (!args) return null;
  const lookup = values.argument(args, 'optim');
  if (lookup.state === 'absent') return { label: 'AdamW', stateKey: 'adamStateBytes' };
  if (lookup.state !== 'present') return null;
  const value = values.resolve(lookup.node);
  return value.kind === 'string' && HF_ADAM.test(value.value) ? { label: 'AdamW', stateKey: 'adamStateBytes' } : null;
}

const SCRIPT_GPU = [/#SBATCH\s+--gres=gpu:([A-Za-z][\w.-]*):\d+/, /#SBATCH\s+--gpus(?:-per-node|-per-task)?=([A-Za-z][\w.-]*):\d+/];

/** The GPU the script requests by type, else greenAI.hardware.gpu. */
export function gpuOf(context: AnalysisContext, tables: Tables): { row: GpuRow; from: string } | null {
  for (const pattern of SCRIPT_GPU) {
    const match = pattern.exec(context.text);
    if (!match) continue;
    const resolved = resolveGpu(match[1]!, tables);
    if (resolved.ok) return { row: resolved.value.gpu, from: `requested in the script: ${match[0].replace(/^#SBATCH\s+/, '')}` };
  }
  const setting = context.settings?.['hardware.gpu'];
  if (!setting) return null;
  const resolved = resolveGpu(setting, tables);
  return resolved.ok ? { row: resolved.value.gpu, from: `greenAI.hardware.gpu = ${setting}` } : null;
}

/** The largest divisor of `global` that is at most `limit` (0 when none). */
function largestDivisorAtMost(global: number, limit: number): number {
  for (let micro = Math.min(limit, global); micro >= 1; micro--) {
    if (global % micro === 0) return micro;
  }
  return 0;
}

/**
 * For Hugging Face TrainingArguments with a literal per_device_train_batch_size: set it to the fitting
 * micro-batch and set (or add) gradient_accumulation_steps so that the global batch stays the same.
 */
function huggingFaceFix(context: AnalysisContext, facts: RunFacts, micro: number, accumulation: number): Fix[] {
  const call = context.huggingFaceArguments()[0];
  if (!call || facts.hints['batch-size']) return [];
  const batchValue = keywordValue(call, 'per_device_train_batch_size');
  if (batchValue?.type !== 'integer') return [];
  const accumulationArgument = keywordArgument(call, 'gradient_accumulation_steps');
  const accumulationValue = accumulationArgument?.childForFieldName('value') ?? null;
  const edits: TextEdit[] = [{ range: rangeOf(batchValue), newText: String(micro) }];
  if (accumulationValue) {
    if (accumulationValue.type !== 'integer') return [];
    edits.push({ range: rangeOf(accumulationValue), newText: String(accumulation) });
  } else {
    if (facts.gradAccumulation && !facts.gradAccumulation.defaultRow) return [];
    const added = addKeywordArgument(context, call, `gradient_accumulation_steps=${accumulation}`);
    if (!added) return [];
    edits.push(added);
  }
  return [
    {
      title: `Use per_device_train_batch_size=${micro} and gradient_accumulation_steps=${accumulation} (same global batch, fits the GPU)`,
      preferred: false,
      edits,
    },
  ];
}

function lineRange(context: AnalysisContext, line: number) {
  const text = context.lineText(line);
  const start = text.length - text.trimStart().length;
  return { start: { line, character: start }, end: { line, character: text.replace(/\s+$/, '').length } };
}

function fmt(bytes: number): string {
  const gb = bytes / GB;
  return gb >= 10 ? gb.toFixed(0) : gb.toFixed(1);
}
