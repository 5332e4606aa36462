/**
 * GA603 eval-or-checkpoint-too-frequent (configs): HF TrainingArguments that evaluate or save every few steps
 * (`eval_steps`/`save_steps` under 1% of `max_steps`, or under 50 steps when `max_steps` is not set; a fraction under
 * 0.01), a save cadence without `save_total_limit`, and a Lightning trainer validating every few batches
 * (`val_check_interval` under 50 batches or under 0.1 of an epoch). Evaluation passes and checkpoint writes are
 * overhead the GPU spends not training. In a Hydra job the trainer's `val_check_interval` is judged as the run gets it
 * (hydraComposed.ts) and reported where it is set: a selected group file, or the launch line.
 */
import { entryOf, literal, numberOf, scalarAt, stringOf, type ConfigEditor, type ConfigEntry, type ConfigMap } from '../../configs/tree';
import { evalOrCheckpointTooFrequent } from '../GA603-eval-or-checkpoint-too-frequent';
import { composedFindings, composedFix, compositionsOf, hasTrainer, scalarOf, setHere, viaRelated, writtenOf, type ComposedJob } from './hydraComposed';
import { unselectedHydraOption } from './hydraComposed';
import { trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

/** The same thresholds as the Python form (rules/GA603-eval-or-checkpoint-too-frequent.ts). */
const MIN_STEPS = 50;
const MIN_SHARE = 0.01;
const MIN_EPOCH_SHARE = 0.1;
const RUNS_PER_CADENCE = 20;
const HF_DEFAULT_STEPS = 500;

export const evalOrCheckpointTooFrequentConfig: ConfigRule = {
  meta: evalOrCheckpointTooFrequent.meta,
  check(context) {
    if (unselectedHydraOption(context)) return []; // an option of a Hydra app no run selects (hydraComposed.ts)
    const { configs, editor } = trainingConfigs(context);
    const hydra = compositionsOf(context).length > 0;
    const findings: ConfigRuleFinding[] = hydra ? composedFindings(context, (job) => lightningComposed(context, job)) : [];
    if (!editor) return findings;
    for (const config of configs) {
      if (config.kinds.has('hf-training-args')) findings.push(...huggingFace(context, config.root, editor));
      if (config.trainer && !hydra) findings.push(...lightning(context, config.trainer, editor));
    }
    return findings;
  },
};

function huggingFace(context: ConfigContext, root: ConfigMap, editor: ConfigEditor): ConfigRuleFinding[] {
  const maxSteps = numberOf(scalarAt(root, 'max_steps'));
  const total = maxSteps !== undefined && maxSteps > 0 ? maxSteps : undefined;
  const findings: ConfigRuleFinding[] = [];
  const evalStrategy = stringOf(scalarAt(root, 'eval_strategy')) ?? stringOf(scalarAt(root, 'evaluation_strategy'));
  if (evalStrategy === 'steps') {
    const entry = entryOf(root, 'eval_steps');
    const tiny = entry && tooFrequent(entry, total, 'evaluations');
    if (entry && tiny) findings.push(hfFinding(context, editor, entry, tiny, total, 'evaluate', 'an evaluation pass over the whole validation set'));
  }
  const saveStrategy = stringOf(scalarAt(root, 'save_strategy')) ?? 'steps';
  if (saveStrategy === 'steps' && !entryOf(root, 'save_total_limit')) {
    const entry = entryOf(root, 'save_steps');
    const tiny = entry && tooFrequent(entry, total, 'checkpoints');
    if (entry && tiny) findings.push(hfFinding(context, editor, entry, tiny, total, 'save a checkpoint', 'a full checkpoint write, and no save_total_limit deletes old ones'));
  }
  return findings;
}

/**
 * `every 10 steps (2000 evaluations in a 20000-step run)` / `every 0.5% of the run`, or null when the cadence is
 * reasonable or not a literal. The catalogue's test is relative ("tiny relative to total steps"): with a known
 * `max_steps` only the share counts (every 20 of 60 steps is 3 evaluations, however few steps apart); the absolute
 * floor stands in for it only when the run's length is unknown.
 */
function tooFrequent(entry: ConfigEntry, total: number | undefined, noun: string): string | null {
  const value = entry.value?.type === 'scalar' ? numberOf(entry.value) : undefined;
  if (value === undefined || value <= 0) return null;
  if (value < 1) return value < MIN_SHARE ? `every ${value * 100}% of the run` : null;
  // The Trainer acts when the global step is a multiple of the interval.
  if (total !== undefined) return value < total * MIN_SHARE ? `every ${value} steps (${Math.floor(total / value)} ${noun} in a ${total}-step run)` : null;
  return value < MIN_STEPS ? `every ${value} steps` : null;
}

function hfFinding(context: ConfigContext, editor: ConfigEditor, entry: ConfigEntry, cadence: string, total: number | undefined, verb: string, what: string): ConfigRuleFinding {
  const target = total !== undefined ? Math.max(1, Math.round(total / RUNS_PER_CADENCE)) : HF_DEFAULT_STEPS;
  const scalar = entry.value?.type === 'scalar' ? entry.value : undefined;
  return {
    range: context.lines.range(entry.keySpan.start, entry.span.end),
    message: `These TrainingArguments make the Trainer ${verb} ${cadence}: each is ${what} while the GPU does not train. Raise ${entry.key} to a few percent of the run.`,
    fixes: scalar ? [{ title: `Set ${entry.key}: ${target}${total !== undefined ? ` (${RUNS_PER_CADENCE} times per run)` : ' (the Hugging Face default)'}`, preferred: false, edits: [editor.setScalar(scalar, target)] }] : [],
  };
}

/** The validation cadence of a Hydra job's composed Lightning trainer, reported in the file (or launch line) that sets it. */
function lightningComposed(context: ConfigContext, { composition }: ComposedJob): ConfigRuleFinding[] {
  if (!hasTrainer(composition)) return [];
  const interval = composition.values.get('trainer.val_check_interval');
  if (!setHere(context, interval)) return [];
  const scalar = scalarOf(interval);
  const value = numberOf(scalar);
  if (!scalar || literal(scalar) === undefined || value === undefined || value <= 0) return [];
  // YAML and Hydra both read `1.0` as the number 1: only the written form tells a fraction of an epoch from a batch count.
  const isFraction = !Number.isInteger(value) || (writtenOf(interval) ?? '').includes('.');
  if (!(isFraction ? value < MIN_EPOCH_SHARE : value < MIN_STEPS)) return [];
  const fix = composedFix(context, 'Set val_check_interval: 1.0 (once per epoch)', false, [[interval, '1.0']]);
  return [
    {
      range: interval.range,
      message: `This Lightning trainer validates every ${isFraction ? `${value * 100}% of an epoch` : `${value} training batches`} (the value Hydra composes for the job): each check is a pass over the validation set while the GPU does not train. Validate a few times per epoch at most.`,
      fixes: fix ? [fix] : [],
      related: viaRelated(interval),
    },
  ];
}

function lightning(context: ConfigContext, trainer: ConfigMap, editor: ConfigEditor): ConfigRuleFinding[] {
  const entry = entryOf(trainer, 'val_check_interval');
  if (!entry || entry.value?.type !== 'scalar' || literal(entry.value) === undefined) return [];
  const value = numberOf(entry.value);
  if (value === undefined || value <= 0) return [];
  const isFraction = typeof entry.value.value === 'number' ? !Number.isInteger(entry.value.value) || String(context.lines.text.slice(entry.value.start, entry.value.end)).includes('.') : String(entry.value.value).includes('.');
  const tiny = isFraction ? value < MIN_EPOCH_SHARE : value < MIN_STEPS;
  if (!tiny) return [];
  return [
    {
      range: context.lines.range(entry.keySpan.start, entry.span.end),
      message: `This Lightning trainer validates every ${isFraction ? `${value * 100}% of an epoch` : `${value} training batches`}: each check is a pass over the validation set while the GPU does not train. Validate a few times per epoch at most.`,
      fixes: [{ title: 'Set val_check_interval: 1.0 (once per epoch)', preferred: false, edits: [editor.setScalar(entry.value, '1.0')] }],
    },
  ];
}
