/**
 * GA201 in configs: TrainingArguments without `dataloader_num_workers` (HF's default is 0) or with 0, and a
 * datamodule with `num_workers: 0`. Debug and profiling profiles are left alone.
 */
import { entryOf, numberOf, type ConfigEditor, type ConfigEntry } from '../../configs/tree';
import type { TrainingConfig } from '../../configs/kinds';
import { dataloaderNumWorkers } from '../GA201-dataloader-num-workers';
import { huggingFaceAnchor, trains } from './GA101-amp-missing-config';
import { composedFindings, compositionsOf, hasTrainer, scalarOf, setHere, setValueEdit, viaRelated, type ComposedJob, unselectedHydraOption } from './hydraComposed';
import { isDebugProfile, setOnLaunchLine, trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

const WORKERS = 4;
const EFFECT = { kind: 'slowdown', factor: 'dataloader-single-process-stall', label: `${WORKERS} data loader workers` } as const;

export const dataloaderNumWorkersConfig: ConfigRule = {
  meta: dataloaderNumWorkers.meta,
  check(context) {
    if (unselectedHydraOption(context)) return []; // an option of a Hydra app no run selects (hydraComposed.ts)
    if (isDebugProfile(context.path)) return [];
    const { configs, editor } = trainingConfigs(context);
    const hydra = compositionsOf(context).length > 0;
    const composed = hydra ? composedFindings(context, (job) => datamoduleComposed(context, job)) : [];
    if (!editor) return composed;
    return [
      ...composed,
      ...configs.flatMap((config) => [
        ...(config.kinds.has('hf-training-args') ? huggingFace(context, config, editor) : []),
        ...(config.kinds.has('datamodule') && !hydra ? datamodule(context, config, editor) : []),
      ]),
    ];
  },
};

function huggingFace(context: ConfigContext, config: TrainingConfig, editor: ConfigEditor): ConfigRuleFinding[] {
  if (!trains(config.root)) return [];
  const entry = entryOf(config.root, 'dataloader_num_workers');
  if (entry) return zeroWorkers(context, entry, editor, 'dataloader_num_workers', 'These TrainingArguments load batches in the training process (dataloader_num_workers: 0) while the GPU waits.');
  const anchor = huggingFaceAnchor(config.root);
  const edit = editor.addEntry(config.root, 'dataloader_num_workers', WORKERS, 'end');
  return [
    {
      range: context.lines.range(anchor.keySpan.start, anchor.keySpan.end),
      message: 'These TrainingArguments set no dataloader_num_workers (defaults to 0): batches are loaded in the training process while the GPU waits.',
      fixes: edit ? [{ title: `Add dataloader_num_workers: ${WORKERS}`, preferred: false, edits: [edit] }] : [],
      effect: EFFECT,
    },
  ];
}

function datamodule(context: ConfigContext, config: TrainingConfig, editor: ConfigEditor): ConfigRuleFinding[] {
  const entry = entryOf(config.data, 'num_workers');
  if (!entry) return [];
  if (setOnLaunchLine(context, /(^|\.)(data|datamodule)(\.init_args)?\.num_workers$/)) return []; // a job that runs this config sets the workers
  return zeroWorkers(context, entry, editor, 'num_workers', 'This datamodule loads batches in the training process (num_workers: 0) while the GPU waits.');
}

/** A Hydra job's composed datamodule (`data.num_workers`, `datamodule.num_workers`) beside a Lightning trainer. */
function datamoduleComposed(context: ConfigContext, { composition }: ComposedJob): ConfigRuleFinding[] {
  if (!hasTrainer(composition)) return [];
  return ['data.num_workers', 'data.init_args.num_workers', 'datamodule.num_workers'].flatMap((key) => {
    const value = composition.values.get(key);
    if (!setHere(context, value) || numberOf(scalarOf(value)) !== 0) return [];
    const edit = setValueEdit(context, value, WORKERS);
    return [
      {
        range: value.range,
        message: 'This datamodule loads batches in the training process (num_workers: 0 in the config Hydra composes for the job) while the GPU waits.',
        fixes: edit ? [{ title: `Set num_workers to ${WORKERS}`, preferred: false, edits: [edit] }] : [],
        related: viaRelated(value),
        effect: EFFECT,
      },
    ];
  });
}

function zeroWorkers(context: ConfigContext, entry: ConfigEntry, editor: ConfigEditor, key: string, message: string): ConfigRuleFinding[] {
  if (entry.value?.type !== 'scalar' || numberOf(entry.value) !== 0) return [];
  return [
    {
      range: context.lines.range(entry.keySpan.start, entry.value.end),
      message,
      fixes: [{ title: `Set ${key}: ${WORKERS}`, preferred: false, edits: [editor.setScalar(entry.value, WORKERS)] }],
      effect: EFFECT,
    },
  ];
}
