/**
 * GA605 in configs: TrainingArguments (or a TRL recipe) whose global batch — per-device batch × accumulation × the
 * processes of the job that runs it (job graph; 1 without one) — is larger than the training split of the dataset the
 * file names (`dataset_name`, or GLUE's `task_name`, sized from shared/data/datasets.json).
 * In a Hydra job the batch, the accumulation and the dataset usually sit in different group files (`training/`,
 * `data/`) or on the launch line: they are read from the composed config (hydraComposed.ts), with the processes of
 * the launch that runs it, and the finding is reported where the per-device batch is set.
 */
import { loadTables, resolveDataset } from '../../../../shared/src/carbon/index';
import { entryOf, numberOf, scalarAt, stringOf, type ConfigEntry } from '../../configs/tree';
import { worldSize } from '../../jobs/graph';
import type { ComposedValue, HydraComposition } from '../../jobs/hydra';
import { globalBatchOversized } from '../GA605-global-batch-oversized';
import { composedFindings, compositionsOf, hasTrainer, launchOf, packagesWith, scalarOf, setAtRelated, setHere, viaRelated, type ComposedJob, unselectedHydraOption } from './hydraComposed';
import { jobWorldSizes, launchRelated, trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

export const globalBatchOversizedConfig: ConfigRule = {
  meta: globalBatchOversized.meta,
  check(context) {
    if (unselectedHydraOption(context)) return []; // an option of a Hydra app no run selects (hydraComposed.ts)
    const { configs } = trainingConfigs(context);
    if (compositionsOf(context).length > 0) return composedFindings(context, (job) => composedBatch(context, job));
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

/**
 * The global batch of a Hydra job's composed config: TrainingArguments under any package (or a Lightning datamodule's
 * `batch_size` beside its trainer) × accumulation × the launch's processes, against the dataset the composition names.
 */
function composedBatch(context: ConfigContext, composed: ComposedJob): ConfigRuleFinding[] {
  const { composition, job } = composed;
  const pairs: [string, string][] = packagesWith(composition, 'per_device_train_batch_size').map((pkg) => {
    const prefix = pkg ? `${pkg}.` : '';
    return [`${prefix}per_device_train_batch_size`, `${prefix}gradient_accumulation_steps`];
  });
  if (hasTrainer(composition)) for (const key of ['data.batch_size', 'data.init_args.batch_size', 'datamodule.batch_size']) pairs.push([key, 'trainer.accumulate_grad_batches']);
  const launch = launchOf(composed);
  const world = launch ? worldSize(job, launch) ?? 1 : 1;
  return pairs.flatMap(([batchKey, accumulationKey]) => {
    const batchValue = composition.values.get(batchKey);
    if (!setHere(context, batchValue)) return [];
    const batch = numberOf(scalarOf(batchValue));
    const accumulationValue = composition.values.get(accumulationKey);
    const accumulation = accumulationValue ? numberOf(scalarOf(accumulationValue)) : 1;
    if (batch === undefined || accumulation === undefined) return []; // an interpolation: the product is unknown
    const name = composedDataset(composition, batchKey);
    if (!name) return [];
    const tables = loadTables();
    const dataset = resolveDataset(name.name, tables.ok ? tables.value : undefined);
    if (!dataset.ok) return [];
    const global = batch * accumulation * world;
    const examples = dataset.value.trainExamples;
    if (global <= examples) return [];
    const factors = [`per-device ${batch}`, ...(accumulation !== 1 ? [`accumulation ${accumulation}`] : []), ...(world !== 1 ? [`${world} processes`] : [])].join(' × ');
    const command = launch?.launch.command;
    return [
      {
        range: batchValue.range,
        message: `Global batch ${global} (${factors}, as Hydra composes the config for the job) is larger than the ${examples} training examples of ${dataset.value.id}: each optimizer step covers more than an epoch, far beyond the batch size where more samples per step still reduce the steps needed (McCandlish et al. 2018), so the extra samples cost energy without speeding up training. Use a smaller per-device batch or accumulation so that an epoch holds several steps.`,
        related: [
          ...viaRelated(batchValue),
          setAtRelated(name.value, `${dataset.value.id}: ${examples} training examples`),
          ...(accumulationValue && accumulation !== 1 ? [setAtRelated(accumulationValue, `${accumulation} accumulation steps`)] : []),
          ...(command && world !== 1 ? [{ uri: job.uri, range: job.lines.range(command.start, command.end), message: `${world} processes run this config` }] : []),
        ],
      },
    ];
  });
}

/**
 * The dataset a composition trains on: `dataset_name` (+ `dataset_config_name`) beside the batch, else anywhere in the
 * composition (a `data/` group), else GLUE's `task_name`. Two different names leave it unknown rather than guessed.
 */
function composedDataset(composition: HydraComposition, batchKey: string): { name: string; value: ComposedValue } | undefined {
  const prefix = batchKey.includes('.') ? batchKey.slice(0, batchKey.lastIndexOf('.') + 1) : '';
  const named = (pkg: string): { name: string; value: ComposedValue } | undefined => {
    const p = pkg ? `${pkg}.` : '';
    const value = composition.values.get(`${p}dataset_name`);
    const dataset = stringOf(scalarOf(value));
    if (value && dataset) {
      const configName = stringOf(scalarOf(composition.values.get(`${p}dataset_config_name`)));
      return { name: configName ? `${dataset}/${configName}` : dataset, value };
    }
    const task = composition.values.get(`${p}task_name`);
    const taskName = stringOf(scalarOf(task));
    return task && taskName ? { name: `glue/${taskName}`, value: task } : undefined;
  };
  const beside = named(prefix.replace(/\.$/, ''));
  if (beside) return beside;
  const found = [...new Set([...packagesWith(composition, 'dataset_name'), ...packagesWith(composition, 'task_name')])].flatMap((pkg) => named(pkg) ?? []);
  const names = new Set(found.map((f) => f.name));
  return names.size === 1 ? found[0] : undefined;
}

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
