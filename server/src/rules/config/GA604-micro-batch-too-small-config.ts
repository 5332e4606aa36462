/**
 * GA604 in configs: a per-device batch of 1–2 with 8 or more gradient accumulation steps — HF TrainingArguments
 * (`per_device_train_batch_size` + `gradient_accumulation_steps`), DeepSpeed (`train_micro_batch_size_per_gpu` +
 * `gradient_accumulation_steps`), a Lightning config (`data.batch_size` + `trainer.accumulate_grad_batches`).
 * The fix multiplies the micro-batch and divides the accumulation by the same factor (same global batch).
 */
import { entryOf, numberOf, type ConfigEditor, type ConfigEntry, type ConfigMap } from '../../configs/tree';
import { microBatchTooSmall } from '../GA604-micro-batch-too-small';
import type { Fix } from '../rule';
import { trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

const MIN_ACCUMULATION = 8;
const TARGET_BATCH = 4;

export const microBatchTooSmallConfig: ConfigRule = {
  meta: microBatchTooSmall.meta,
  check(context) {
    const { configs, editor } = trainingConfigs(context);
    if (!editor) return [];
    const findings: ConfigRuleFinding[] = [];
    for (const config of configs) {
      if (config.kinds.has('hf-training-args')) findings.push(...pair(context, editor, config.root, 'per_device_train_batch_size', config.root, 'gradient_accumulation_steps'));
      if (config.kinds.has('deepspeed')) findings.push(...pair(context, editor, config.root, 'train_micro_batch_size_per_gpu', config.root, 'gradient_accumulation_steps'));
      if (config.trainer && config.data) findings.push(...pair(context, editor, config.data, 'batch_size', config.trainer, 'accumulate_grad_batches'));
    }
    return findings;
  },
};

function pair(context: ConfigContext, editor: ConfigEditor, batchMap: ConfigMap, batchKey: string, accumulationMap: ConfigMap, accumulationKey: string): ConfigRuleFinding[] {
  const batchEntry = entryOf(batchMap, batchKey);
  const accumulationEntry = entryOf(accumulationMap, accumulationKey);
  const batch = valueOf(batchEntry);
  const accumulation = valueOf(accumulationEntry);
  if (batch === undefined || accumulation === undefined || (batch !== 1 && batch !== 2) || accumulation < MIN_ACCUMULATION) return [];
  return [
    {
      range: context.lines.range(batchEntry!.keySpan.start, batchEntry!.span.end),
      message: `${batchKey}: ${batch} with ${accumulationKey}: ${accumulation}: each micro-step launches the same kernels for ${batch === 1 ? 'one sample' : 'two samples'}, leaving most of the GPU idle. Raise the micro-batch to what fits and divide the accumulation accordingly (same global batch).`,
      fixes: rebalance(editor, batchEntry!, accumulationEntry!, batch, accumulation),
      related: [{ range: context.lines.range(accumulationEntry!.keySpan.start, accumulationEntry!.span.end), message: `${accumulation} accumulation steps` }],
    },
  ];
}

function valueOf(entry: ConfigEntry | undefined): number | undefined {
  return entry?.value?.type === 'scalar' ? numberOf(entry.value) : undefined;
}

function rebalance(editor: ConfigEditor, batchEntry: ConfigEntry, accumulationEntry: ConfigEntry, batch: number, accumulation: number): Fix[] {
  const factor = [4, 2].find((f) => batch * f <= TARGET_BATCH && accumulation % f === 0);
  if (!factor || batchEntry.value?.type !== 'scalar' || accumulationEntry.value?.type !== 'scalar') return [];
  return [
    {
      title: `Use ${batchEntry.key}: ${batch * factor} and ${accumulationEntry.key}: ${accumulation / factor} (same global batch; needs more GPU memory)`,
      preferred: false,
      edits: [editor.setScalar(batchEntry.value, batch * factor), editor.setScalar(accumulationEntry.value, accumulation / factor)],
    },
  ];
}
