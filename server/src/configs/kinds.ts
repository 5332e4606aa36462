/**
 * Which training config a YAML/JSON document is, from its content (section 3 of the rule catalogue): HF
 * TrainingArguments, a Lightning CLI / Hydra trainer, a datamodule, an Accelerate config or a DeepSpeed config.
 * A document that matches none is not a training config and gets no findings.
 */
import { entryOf, mapAt, scalarAt, stringOf, type ConfigMap, type ConfigNode } from './tree';

export type ConfigKind = 'hf-training-args' | 'lightning-trainer' | 'datamodule' | 'accelerate' | 'deepspeed' | 'pytorchjob';

export interface TrainingConfig {
  root: ConfigMap;
  kinds: Set<ConfigKind>;
  /** The Lightning Trainer's arguments (`trainer:` of a Lightning CLI config, or a Hydra trainer file itself). */
  trainer: ConfigMap | undefined;
  /** The datamodule's arguments (`data.init_args`, `data:`, or a Hydra data file itself). */
  data: ConfigMap | undefined;
  /** A Hydra `defaults:` list: values may come from files composed into this one, so absent keys prove nothing. */
  composed: boolean;
}

const HF_STRONG = ['per_device_train_batch_size', 'per_device_eval_batch_size', 'dataloader_num_workers', 'eval_strategy', 'evaluation_strategy', 'save_strategy', 'logging_steps', 'num_train_epochs'];
const HF_KEYS = new Set([
  ...HF_STRONG, 'output_dir', 'overwrite_output_dir', 'do_train', 'do_eval', 'learning_rate', 'weight_decay', 'warmup_steps', 'warmup_ratio',
  'lr_scheduler_type', 'gradient_accumulation_steps', 'max_steps', 'save_steps', 'save_total_limit', 'eval_steps', 'logging_dir', 'report_to',
  'push_to_hub', 'hub_model_id', 'fp16', 'bf16', 'tf32', 'seed', 'gradient_checkpointing', 'optim', 'load_best_model_at_end', 'metric_for_best_model',
  'run_name', 'remove_unused_columns', 'dataloader_pin_memory', 'torch_compile', 'use_cpu', 'no_cuda', 'max_grad_norm', 'group_by_length',
]);
export const TRAINER_KEYS = new Set(['accelerator', 'devices', 'max_epochs', 'min_epochs', 'max_steps', 'max_time', 'precision', 'num_nodes', 'strategy', 'accumulate_grad_batches', 'check_val_every_n_epoch', 'val_check_interval', 'gradient_clip_val', 'log_every_n_steps', 'limit_train_batches', 'deterministic', 'benchmark']);
const LIGHTNING_TRAINER_TARGET = /^(lightning(\.pytorch)?|pytorch_lightning)(\.trainer){0,2}\.Trainer$/;

/** Words one of which every recognised config contains (a superset of what `recognise` looks for). */
const GATE_WORDS = [...HF_STRONG, 'zero_optimization', 'train_micro_batch_size_per_gpu', 'train_batch_size', 'distributed_type', 'trainer', 'Trainer', 'DataModule', 'PyTorchJob'];

/**
 * A cheap pre-filter on the raw text, before any parsing: a file without any of these words cannot be a training
 * config, so it is neither parsed nor reported on (large Kubernetes manifests, OpenAPI specs, lock files stay free).
 */
export function mayBeTrainingConfig(text: string): boolean {
  return GATE_WORDS.some((word) => text.includes(word));
}

export function recognise(root: ConfigNode | null): TrainingConfig | null {
  if (!root || root.type !== 'map') return null;
  const kinds = new Set<ConfigKind>();
  const has = (key: string) => entryOf(root, key) !== undefined;
  const composed = entryOf(root, 'defaults')?.value?.type === 'seq';
  if (stringOf(scalarAt(root, 'kind')) === 'PyTorchJob' && /^kubeflow\.org\//.test(stringOf(scalarAt(root, 'apiVersion')) ?? '')) {
    return { root, kinds: new Set(['pytorchjob']), trainer: undefined, data: undefined, composed: false };
  }

  if (has('zero_optimization') || has('train_micro_batch_size_per_gpu') || (has('train_batch_size') && (has('fp16') || has('bf16') || has('optimizer')) && !has('output_dir'))) {
    kinds.add('deepspeed');
  }
  if (has('distributed_type') && (has('compute_environment') || has('mixed_precision') || has('num_processes') || has('machine_rank'))) kinds.add('accelerate');
  if (!kinds.has('deepspeed') && !kinds.has('accelerate')) {
    const hfKeys = root.entries.filter((e) => HF_KEYS.has(e.key)).length;
    if (HF_STRONG.some(has) && hfKeys >= 3) kinds.add('hf-training-args');
  }

  let trainer: ConfigMap | undefined;
  let data: ConfigMap | undefined;
  const trainerMap = mapAt(root, 'trainer');
  const target = stringOf(scalarAt(root, '_target_')) ?? '';
  if (trainerMap && trainerMap.entries.some((e) => TRAINER_KEYS.has(e.key))) trainer = trainerMap;
  else if (LIGHTNING_TRAINER_TARGET.test(target)) trainer = root;
  if (trainer) kinds.add('lightning-trainer');

  const dataMap = mapAt(root, 'data');
  if (trainer && dataMap) data = mapAt(dataMap, 'init_args') ?? dataMap;
  else if (/DataModule$/.test(target)) data = root;
  if (data) kinds.add('datamodule');

  return kinds.size > 0 ? { root, kinds, trainer, data, composed } : null;
}
