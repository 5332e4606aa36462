/**
 * GA605 in configs: TrainingArguments (or a TRL recipe) whose global batch — per-device batch × accumulation × the
 * processes of the job that runs it (job graph; 1 without one) — is larger than the training split of the dataset the
 * file names (`dataset_name`, or GLUE's `task_name`, sized from shared/data/datasets.json).
 */
import { loadTables, resolveDataset } from '../../../../shared/src/carbon/index';
import { entryOf, numberOf, scalarAt, stringOf, type ConfigEntry } from '../../configs/tree';
import { globalBatchOversized } from '../GA605-global-batch-oversized';
import { jobWorldSizes, launchRelated, trainingConfigs, type ConfigRule, type ConfigRuleFinding } from './rule';

export const globalBatchOversizedConfig: ConfigRule = {
  meta: globalBatchOversized.meta,
  check(context) {
    const { configs } = trainingConfigs(context);
    const findings: ConfigRuleFinding[] = [];
    for (const config of configs) {
      if (!config.kinds.has('hf-training-args')) continue;
      const root = config.root;
      const batchEntry = entryOf(root, 'per_device_train_batch_size');
      const batch = valueOf(batchEntry);
      if (!batchEntry || batch === undefined) continue;
      const accumulation = valueOf(entryOf(root, 'gradient_accumulation_steps')) ?? 1;
      const name = datasetName(root);
      if (!name) continue;
      const tables = loadTables();
      const dataset = resolveDataset(name.name, tables.ok ? tables.value : undefined);
      if (!dataset.ok) continue;
      const sizes = jobWorldSizes(context);
      const largest = sizes.reduce<(typeof sizes)[number] | undefined>((best, s) => (!best || s.size > best.size ? s : best), undefined);
      const world = largest?.size ?? 1;
      const global = batch * accumulation * world;
      const examples = dataset.value.trainExamples;
      if (global <= examples) continue;
      const factors = [`per-device ${batch}`, ...(accumulation !== 1 ? [`accumulation ${accumulation}`] : []), ...(world !== 1 ? [`${world} processes`] : [])].join(' × ');
      findings.push({
        range: context.lines.range(batchEntry.keySpan.start, batchEntry.span.end),
        message: `Global batch ${global} (${factors}) is larger than the ${examples} training examples of ${dataset.value.id}: each optimizer step covers more than an epoch, far beyond the batch size where more samples per step still reduce the steps needed (McCandlish et al. 2018), so the extra samples cost energy without speeding up training. Use a smaller per-device batch or accumulation so that an epoch holds several steps.`,
        related: [
          { range: context.lines.range(name.entry.keySpan.start, name.entry.span.end), message: `${dataset.value.id}: ${examples} training examples` },
          ...(largest ? [launchRelated(largest.use, `${world} processes run this config`)] : []),
        ],
      });
    }
    return findings;
  },
};

function valueOf(entry: ConfigEntry | undefined): number | undefined {
  return entry?.value?.type === 'scalar' ? numberOf(entry.value) : undefined;
}

function datasetName(root: import('../../configs/tree').ConfigMap): { name: string; entry: ConfigEntry } | undefined {
  const datasetEntry = entryOf(root, 'dataset_name');
  const dataset = stringOf(scalarAt(root, 'dataset_name'));
  if (datasetEntry && dataset) {
    const configName = stringOf(scalarAt(root, 'dataset_config_name'));
    return { name: configName ? `${dataset}/${configName}` : dataset, entry: datasetEntry };
  }
  const taskEntry = entryOf(root, 'task_name');
  const task = stringOf(scalarAt(root, 'task_name'));
  if (taskEntry && task) return { name: `glue/${task}`, entry: taskEntry };
  return undefined;
}
