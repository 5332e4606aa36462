/**
 * GA101 in configs: HF TrainingArguments without bf16/fp16, a Lightning trainer on the GPU in 32-bit, an Accelerate
 * config with `mixed_precision: "no"`, a DeepSpeed config with neither fp16 nor bf16 enabled. Anchored on the key to
 * change, or on the line that sets up the run when the key is absent. Values decided elsewhere (`${...}`, `auto`,
 * a Hydra `defaults:` composition) are left alone.
 */
import type { TrainingConfig } from '../../configs/kinds';
import { booleanOf, entryOf, literal, mapAt, scalarAt, sortedPlacement, stringOf, type ConfigEditor, type ConfigEntry, type ConfigMap } from '../../configs/tree';
import { ampMissing } from '../GA101-amp-missing';
import type { Fix } from '../rule';
import type { TextEdit } from 'vscode-languageserver-types';
import { fileUri } from '../../jobs/graph';
import { composedFindings, compositionsOf, literalOf, scalarOf, setHere, setValueEdit, viaRelated, type ComposedJob, unselectedHydraOption } from './hydraComposed';
import { setOnLaunchLine, trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

const EFFECT = { kind: 'precision', to: 'bf16', label: 'bf16 mixed precision' } as const;
const FP32_PRECISIONS = new Set(['32', '32-true', '64', '64-true']);
const CPU_DISTRIBUTED = new Set(['MULTI_CPU', 'XLA', 'TPU']);

export const ampMissingConfig: ConfigRule = {
  meta: ampMissing.meta,
  check(context) {
    if (unselectedHydraOption(context)) return []; // an option of a Hydra app no run selects (hydraComposed.ts)
    const { configs, editor } = trainingConfigs(context);
    // A file of a Hydra job: the trainer is judged on the composed config, where the effective value is set.
    const hydra = compositionsOf(context).length > 0;
    const composed = hydra ? composedFindings(context, (job) => lightningComposed(context, job)) : [];
    if (!editor) return composed;
    return [...composed, ...configs.flatMap((config) => [
      ...(config.kinds.has('hf-training-args') ? huggingFace(context, config, editor) : []),
      ...(config.kinds.has('lightning-trainer') && !hydra ? lightning(context, config, editor) : []),
      ...(config.kinds.has('accelerate') ? accelerate(context, config, editor) : []),
      ...(config.kinds.has('deepspeed') ? deepSpeed(context, config, editor) : []),
    ])];
  },
};

/** The Lightning trainer of a Hydra job's composed config: precision as the run gets it, reported where it is set. */
function lightningComposed(context: ConfigContext, { composition }: ComposedJob): ConfigRuleFinding[] {
  const accelerator = composition.values.get('trainer.accelerator');
  const onGpu = stringOf(scalarOf(accelerator));
  if (!accelerator || (onGpu !== 'gpu' && onGpu !== 'cuda')) return [];
  const precision = composition.values.get('trainer.precision');
  if (!precision) {
    if (!composition.complete || !setHere(context, accelerator)) return [];
    let edit: TextEdit | null = null;
    if (accelerator.override) edit = { range: context.lines.range(accelerator.override.end, accelerator.override.end), newText: ' trainer.precision=bf16-mixed' };
    else if (accelerator.parent && accelerator.entry && context.file.format !== 'shell') edit = context.file.editor.addEntry(accelerator.parent, 'precision', 'bf16-mixed', { after: accelerator.entry });
    return [
      {
        range: accelerator.range,
        message: 'This Lightning trainer (the config Hydra composes for the job) runs on the GPU in 32-bit: no file or override sets precision (the default is "32-true"). precision: bf16-mixed typically trains 2–3× faster on Tensor-Core GPUs.',
        fixes: edit ? [{ title: accelerator.override ? 'Add trainer.precision=bf16-mixed to the launch' : 'Add precision: bf16-mixed', preferred: false, edits: [edit] }] : [],
        related: viaRelated(accelerator),
        effect: EFFECT,
      },
    ];
  }
  const value = literalOf(precision);
  if (value === undefined || value === null || !FP32_PRECISIONS.has(String(value)) || !setHere(context, precision)) return [];
  const edit = setValueEdit(context, precision, 'bf16-mixed');
  return [
    {
      range: precision.range,
      message: `This Lightning trainer runs on the GPU at precision ${String(value)} (the value Hydra composes for the job). precision: bf16-mixed typically trains 2–3× faster on Tensor-Core GPUs.`,
      fixes: edit ? [{ title: 'Set precision to bf16-mixed', preferred: false, edits: [edit] }] : [],
      related: [...viaRelated(precision), { uri: fileUri(accelerator.file.path), range: accelerator.range, message: 'the trainer runs on the GPU' }],
      effect: EFFECT,
    },
  ];
}

const HALF_DTYPES = new Set(['bfloat16', 'float16', 'bf16', 'fp16', 'half']);

/** `do_train: false` marks an evaluation-only run. */
export function trains(root: ConfigMap): boolean {
  return booleanOf(scalarAt(root, 'do_train')) !== false;
}

/** The key a TrainingArguments file is recognised by, for findings about absent keys. */
export function huggingFaceAnchor(root: ConfigMap): ConfigEntry {
  for (const key of ['per_device_train_batch_size', 'output_dir', 'num_train_epochs', 'learning_rate']) {
    const entry = entryOf(root, key);
    if (entry) return entry;
  }
  return root.entries[0]!;
}

function huggingFace(context: ConfigContext, config: TrainingConfig, editor: ConfigEditor): ConfigRuleFinding[] {
  const { root } = config;
  if (booleanOf(scalarAt(root, 'use_cpu')) === true || booleanOf(scalarAt(root, 'no_cuda')) === true || !trains(root)) return [];
  // A model loaded in half precision (TRL / alignment-handbook recipes: `torch_dtype: bfloat16`) already trains in it.
  if (HALF_DTYPES.has(stringOf(scalarAt(root, 'torch_dtype')) ?? stringOf(scalarAt(root, 'model_torch_dtype')) ?? '')) return [];
  const fp16 = entryOf(root, 'fp16');
  const bf16 = entryOf(root, 'bf16');
  const values = [fp16, bf16].map((e) => (e ? (e.value?.type === 'scalar' ? booleanOf(e.value) : undefined) : false));
  if (values.some((v) => v !== false)) return []; // on, or not a literal false: delegated
  let fix: Fix | null = null;
  const target = bf16?.value?.type === 'scalar' ? bf16.value : undefined;
  if (target) fix = { title: 'Set bf16: true', preferred: false, edits: [editor.setScalar(target, true)] };
  else {
    const edit = editor.addEntry(root, 'bf16', true, fp16 ? { after: fp16 } : 'end');
    if (edit) fix = { title: 'Add bf16: true', preferred: false, edits: [edit] };
  }
  const anchor = bf16 ?? fp16 ?? huggingFaceAnchor(root);
  return [
    {
      range: context.lines.range(anchor.keySpan.start, anchor.keySpan.end),
      message: bf16 || fp16
        ? 'These TrainingArguments train in full fp32 (bf16 and fp16 are false). Mixed precision (bf16) typically trains 2–3× faster on Tensor-Core GPUs.'
        : 'These TrainingArguments train in full fp32: no bf16 or fp16. Mixed precision (bf16) typically trains 2–3× faster on Tensor-Core GPUs.',
      fixes: fix ? [fix] : [],
      effect: EFFECT,
    },
  ];
}

function lightning(context: ConfigContext, config: TrainingConfig, editor: ConfigEditor): ConfigRuleFinding[] {
  const trainer = config.trainer!;
  const accelerator = entryOf(trainer, 'accelerator');
  const acceleratorValue = accelerator?.value?.type === 'scalar' ? stringOf(accelerator.value) : undefined;
  if (!accelerator || (acceleratorValue !== 'gpu' && acceleratorValue !== 'cuda')) return [];
  if (setOnLaunchLine(context, /(^|\.)trainer\.precision$/)) return []; // a job that runs this config sets the precision
  const precision = entryOf(trainer, 'precision');
  if (!precision) {
    if (config.composed) return []; // precision may come from a composed defaults file
    const edit = editor.addEntry(trainer, 'precision', 'bf16-mixed', { after: accelerator });
    return [
      {
        range: context.lines.range(accelerator.keySpan.start, accelerator.value!.end),
        message: 'This Lightning trainer runs on the GPU in 32-bit (no precision set; the default is "32-true"). precision: bf16-mixed typically trains 2–3× faster on Tensor-Core GPUs.',
        fixes: edit ? [{ title: 'Add precision: bf16-mixed', preferred: false, edits: [edit] }] : [],
        effect: EFFECT,
      },
    ];
  }
  if (precision.value?.type !== 'scalar') return [];
  const value = literal(precision.value);
  if (value === undefined || value === null || !FP32_PRECISIONS.has(String(value))) return [];
  return [
    {
      range: context.lines.range(precision.keySpan.start, precision.value.end),
      message: `This Lightning trainer runs on the GPU at precision ${String(value)}. precision: bf16-mixed typically trains 2–3× faster on Tensor-Core GPUs.`,
      fixes: [{ title: 'Set precision: bf16-mixed', preferred: false, edits: [editor.setScalar(precision.value, 'bf16-mixed')] }],
      related: [{ range: context.lines.range(accelerator.keySpan.start, accelerator.value!.end), message: 'the trainer runs on the GPU' }],
      effect: EFFECT,
    },
  ];
}

function accelerate(context: ConfigContext, config: TrainingConfig, editor: ConfigEditor): ConfigRuleFinding[] {
  const { root } = config;
  if (booleanOf(scalarAt(root, 'use_cpu')) === true) return [];
  const distributed = stringOf(scalarAt(root, 'distributed_type'));
  if (distributed === undefined || CPU_DISTRIBUTED.has(distributed.toUpperCase())) return [];
  if (scalarAt(root, 'deepspeed_config.deepspeed_config_file') || mapAt(root, 'deepspeed_config')?.entries.some((e) => e.key === 'deepspeed_config_file')) return [];
  const entry = entryOf(root, 'mixed_precision');
  if (entry) {
    if (entry.value?.type !== 'scalar') return [];
    const value = literal(entry.value);
    if (value !== 'no' && value !== false) return [];
    return [
      {
        range: context.lines.range(entry.keySpan.start, entry.value.end),
        message: 'This Accelerate config trains in full fp32 (mixed_precision: no). mixed_precision: bf16 typically trains 2–3× faster on Tensor-Core GPUs.',
        fixes: [{ title: 'Set mixed_precision: bf16', preferred: false, edits: [editor.setScalar(entry.value, 'bf16')] }],
        effect: EFFECT,
      },
    ];
  }
  const anchor = entryOf(root, 'distributed_type')!;
  const edit = editor.addEntry(root, 'mixed_precision', 'bf16', sortedPlacement(root, 'mixed_precision'));
  return [
    {
      range: context.lines.range(anchor.keySpan.start, anchor.value?.end ?? anchor.keySpan.end),
      message: 'This Accelerate config sets no mixed_precision, so it trains in full fp32. mixed_precision: bf16 typically trains 2–3× faster on Tensor-Core GPUs.',
      fixes: edit ? [{ title: 'Add mixed_precision: bf16', preferred: false, edits: [edit] }] : [],
      effect: EFFECT,
    },
  ];
}

function deepSpeed(context: ConfigContext, config: TrainingConfig, editor: ConfigEditor): ConfigRuleFinding[] {
  const { root } = config;
  const enabled = (name: 'fp16' | 'bf16' | 'amp') => {
    const section = entryOf(root, name);
    if (!section) return { section, scalar: undefined, state: false as boolean | undefined };
    const scalar = scalarAt(section.value, 'enabled');
    if (section.value?.type !== 'map') return { section, scalar, state: undefined };
    // DeepSpeed defaults `enabled` to false, but a section written without it is usually filled in elsewhere: stay silent.
    if (!scalar) return { section, scalar, state: undefined };
    const value = literal(scalar);
    return { section, scalar, state: value === true ? true : value === false ? false : undefined }; // "auto" is decided by the caller
  };
  const fp16 = enabled('fp16');
  const bf16 = enabled('bf16');
  const amp = enabled('amp');
  if ([fp16, bf16, amp].some((s) => s.state !== false)) return [];
  let fix: Fix | null = null;
  if (bf16.scalar) fix = { title: 'Set bf16.enabled: true', preferred: false, edits: [editor.setScalar(bf16.scalar, true)] };
  else if (!bf16.section) {
    const edit = editor.addEntry(root, 'bf16', { enabled: true }, fp16.section ? { after: fp16.section } : 'end');
    if (edit) fix = { title: 'Add "bf16": {"enabled": true}', preferred: false, edits: [edit] };
  }
  const anchorScalar = bf16.scalar ?? fp16.scalar;
  const anchor = anchorScalar
    ? context.lines.range(anchorScalar.start, anchorScalar.end)
    : (() => {
        const entry = entryOf(root, 'zero_optimization') ?? entryOf(root, 'train_micro_batch_size_per_gpu') ?? root.entries[0]!;
        return context.lines.range(entry.keySpan.start, entry.keySpan.end);
      })();
  return [
    {
      range: anchor,
      message: 'This DeepSpeed config trains in full fp32: neither fp16 nor bf16 is enabled. bf16 typically trains 2–3× faster on Tensor-Core GPUs.',
      fixes: fix ? [fix] : [],
      effect: EFFECT,
    },
  ];
}
