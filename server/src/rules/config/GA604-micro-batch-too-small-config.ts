/**
 * GA604 in configs: a per-device batch of 1–2 with 8 or more gradient accumulation steps — HF TrainingArguments
 * (`per_device_train_batch_size` + `gradient_accumulation_steps`), DeepSpeed (`train_micro_batch_size_per_gpu` +
 * `gradient_accumulation_steps`), a Lightning config (`data.batch_size` + `trainer.accumulate_grad_batches`).
 * The fix multiplies the micro-batch and divides the accumulation by the same factor (same global batch).
 * In a Hydra job the pair is judged as the run gets it (hydraComposed.ts) — the micro-batch and the accumulation often
 * come from different group files or the launch line — and reported where the micro-batch is set; the fix edits each
 * value where it is written.
 */
import { entryOf, numberOf, type ConfigEditor, type ConfigEntry, type ConfigMap } from '../../configs/tree';
import type { ComposedValue } from '../../jobs/hydra';
import { microBatchTooSmall } from '../GA604-micro-batch-too-small';
import type { Fix } from '../rule';
import { composedFindings, composedFix, compositionsOf, hasTrainer, packagesWith, scalarOf, setAtRelated, setHere, viaRelated, type ComposedJob, unselectedHydraOption } from './hydraComposed';
import { trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

const MIN_ACCUMULATION = 8;
const TARGET_BATCH = 4;

export const microBatchTooSmallConfig: ConfigRule = {
  meta: microBatchTooSmall.meta,
  check(context) {
    if (unselectedHydraOption(context)) return []; // an option of a Hydra app no run selects (hydraComposed.ts)
    const { configs, editor } = trainingConfigs(context);
    // A file of a Hydra job: TrainingArguments and the Lightning pair are judged on the composed config. A DeepSpeed
    // config is not composed by Hydra (a JSON file the script passes on), so it stays judged on its own.
    const hydra = compositionsOf(context).length > 0;
    const findings: ConfigRuleFinding[] = hydra ? composedFindings(context, (job) => composedPairs(context, job)) : [];
    if (!editor) return findings;
    for (const config of configs) {
      if (config.kinds.has('hf-training-args') && !hydra) findings.push(...pair(context, editor, config.root, 'per_device_train_batch_size', config.root, 'gradient_accumulation_steps'));
      if (config.kinds.has('deepspeed')) findings.push(...pair(context, editor, config.root, 'train_micro_batch_size_per_gpu', config.root, 'gradient_accumulation_steps'));
      if (config.trainer && config.data && !hydra) findings.push(...pair(context, editor, config.data, 'batch_size', config.trainer, 'accumulate_grad_batches'));
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

/** The micro-batch/accumulation pairs of a composed config: TrainingArguments under any package, a Lightning datamodule beside its trainer. */
function composedPairs(context: ConfigContext, { composition }: ComposedJob): ConfigRuleFinding[] {
  const pairs: [string, string][] = packagesWith(composition, 'per_device_train_batch_size').map((pkg) => {
    const prefix = pkg ? `${pkg}.` : '';
    return [`${prefix}per_device_train_batch_size`, `${prefix}gradient_accumulation_steps`];
  });
  if (hasTrainer(composition)) for (const key of ['data.batch_size', 'data.init_args.batch_size', 'datamodule.batch_size']) pairs.push([key, 'trainer.accumulate_grad_batches']);
  return pairs.flatMap(([batchKey, accumulationKey]) => {
    const batchValue = composition.values.get(batchKey);
    const accumulationValue = composition.values.get(accumulationKey);
    if (!setHere(context, batchValue) || !accumulationValue) return [];
    const batch = numberOf(scalarOf(batchValue));
    const accumulation = numberOf(scalarOf(accumulationValue));
    if (batch === undefined || accumulation === undefined || (batch !== 1 && batch !== 2) || accumulation < MIN_ACCUMULATION) return [];
    const batchName = leaf(batchKey);
    const accumulationName = leaf(accumulationKey);
    const fix = composedRebalance(context, batchValue, batchName, accumulationValue, accumulationName, batch, accumulation);
    return [
      {
        range: batchValue.range,
        message: `${batchName}: ${batch} with ${accumulationName}: ${accumulation} (the values Hydra composes for the job): each micro-step launches the same kernels for ${batch === 1 ? 'one sample' : 'two samples'}, leaving most of the GPU idle. Raise the micro-batch to what fits and divide the accumulation accordingly (same global batch).`,
        fixes: fix ? [fix] : [],
        related: [setAtRelated(accumulationValue, `${accumulation} accumulation steps`), ...viaRelated(batchValue)],
      },
    ];
  });
}

function composedRebalance(context: ConfigContext, batchValue: ComposedValue, batchName: string, accumulationValue: ComposedValue, accumulationName: string, batch: number, accumulation: number): Fix | null {
  const factor = rebalanceFactor(batch, accumulation);
  if (!factor) return null;
  return composedFix(context, `Use ${batchName}: ${batch * factor} and ${accumulationName}: ${accumulation / factor} (same global batch; needs more GPU memory)`, false, [
    [batchValue, batch * factor],
    [accumulationValue, accumulation / factor],
  ]);
}

function rebalanceFactor(batch: number, accumulation: number): number | undefined {
  return [4, 2].find((f) => batch * f <= TARGET_BATCH && accumulation % f === 0);
}

function leaf(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

function valueOf(entry: ConfigEntry | undefined): number | undefined {
  return entry?.value?.type === 'scalar' ? numberOf(entry.value) : undefined;
}

function rebalance(editor: ConfigEditor, batchEntry: ConfigEntry, accumulationEntry: ConfigEntry, batch: number, accumulation: number): Fix[] {
  const factor = rebalanceFactor(batch, accumulation);
  if (!factor || batchEntry.value?.type !== 'scalar' || accumulationEntry.value?.type !== 'scalar') return [];
  return [
    {
      title: `Use ${batchEntry.key}: ${batch * factor} and ${accumulationEntry.key}: ${accumulation / factor} (same global batch; needs more GPU memory)`,
      preferred: false,
      edits: [editor.setScalar(batchEntry.value, batch * factor), editor.setScalar(accumulationEntry.value, accumulation / factor)],
    },
  ];
}
