/**
 * GA601 in configs: a Lightning CLI / Hydra trainer config with none of `max_epochs`, `max_steps` (≠ -1), `max_time`
 * or `fast_dev_run`, so Lightning trains for up to 1000 epochs; `max_epochs: -1` without another bound trains until
 * stopped. A Hydra file composed from `defaults:` may get the bound elsewhere and is left alone; an EarlyStopping
 * callback lowers the finding to information. When a batch job that runs this config has a `--time` limit (job
 * graph), the quick fix writes it as `max_time`, so the trainer stops and saves before the scheduler kills the job.
 */
import { entryOf, numberOf, scalarAt, stringOf, type ConfigEntry, type ConfigMap } from '../../configs/tree';
import type { TrainingConfig } from '../../configs/kinds';
import { unboundedTrainingLength } from '../GA601-unbounded-training-length';
import type { Fix } from '../rule';
import { launchRelated, setOnLaunchLine, trainingConfigs, type ConfigRule, type ConfigRuleFinding } from './rule';

const DEFAULT_EPOCHS = 1000;
/** Minutes left to the trainer before the scheduler's limit, to save a checkpoint and exit. */
const MARGIN_MINUTES = 10;

export const unboundedTrainingLengthConfig: ConfigRule = {
  meta: unboundedTrainingLength.meta,
  check(context) {
    const { configs, editor } = trainingConfigs(context);
    if (!editor) return [];
    return configs.flatMap((config) => {
      const trainer = config.trainer;
      if (!trainer || config.composed) return [];
      if (setOnLaunchLine(context, /(^|\.)trainer\.(max_epochs|max_steps|max_time|fast_dev_run)$/)) return []; // the job sets the budget
      if (stringOf(scalarAt(trainer, 'accelerator')) === 'cpu') return []; // a CPU run is not this rule's energy case
      const bounded = ['max_time', 'fast_dev_run'].some((key) => entryOf(trainer, key)?.value) || positive(entryOf(trainer, 'max_steps'));
      const epochs = entryOf(trainer, 'max_epochs');
      const epochValue = epochs?.value?.type === 'scalar' ? numberOf(epochs.value) : undefined;
      if (bounded || (epochs && epochValue !== -1)) return [];
      const anchor = anchorOf(config, trainer);
      if (!anchor) return [];
      const earlyStopping = context.lines.text.slice(trainer.start, trainer.end).includes('EarlyStopping');
      const fixes: Fix[] = [];
      const related: NonNullable<ConfigRuleFinding['related']> = [];
      const timed = context.jobs.uses.find((use) => use.config && use.job.allocation?.hours !== undefined);
      if (timed && epochs === undefined) {
        const hours = timed.job.allocation!.hours!;
        const maxTime = durationOf(Math.max(hours * 60 - MARGIN_MINUTES, Math.ceil(hours * 60 * 0.9)));
        const edit = context.file.format === 'yaml' ? editor.addEntry(trainer, 'max_time', `"${maxTime}"`, 'end') : editor.addEntry(trainer, 'max_time', maxTime, 'end');
        if (edit) fixes.push({ title: `Add max_time: "${maxTime}" (the job's --time limit less ${MARGIN_MINUTES} min)`, preferred: false, edits: [edit] });
        related.push(launchRelated(timed, `this job runs the config with a ${formatTimeLimit(hours)} --time limit`));
      }
      const message = epochs
        ? 'This Lightning trainer has max_epochs: -1 and no max_steps or max_time: it trains until stopped by hand or by the scheduler. Set the intended budget (max_epochs, max_steps or max_time).'
        : `This Lightning trainer sets none of max_epochs, max_steps or max_time, so Lightning trains for up to ${DEFAULT_EPOCHS} epochs${earlyStopping ? ' unless EarlyStopping stops it' : ''}. Set the intended budget (max_epochs, max_steps or max_time).`;
      return [{ range: context.lines.range(anchor.keySpan.start, anchor.keySpan.end), message, fixes, related, uncertain: earlyStopping }];
    });
  },
};

function positive(entry: ConfigEntry | undefined): boolean {
  if (!entry?.value) return false;
  if (entry.value.type !== 'scalar') return true;
  const value = numberOf(entry.value);
  return value === undefined ? entry.value.value !== null : value > 0;
}

/** The `trainer:` key of a Lightning CLI config, or `_target_` of a Hydra trainer file. */
function anchorOf(config: TrainingConfig, trainer: ConfigMap): ConfigEntry | undefined {
  if (trainer === config.root) return entryOf(trainer, '_target_');
  return config.root.entries.find((e) => e.value === trainer);
}

/** Lightning's `DD:HH:MM:SS`. */
function durationOf(minutes: number): string {
  const total = Math.max(1, Math.floor(minutes));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 1440))}:${pad(Math.floor((total % 1440) / 60))}:${pad(total % 60)}:00`;
}

function formatTimeLimit(hours: number): string {
  return hours >= 1 ? `${Math.round(hours * 10) / 10} h` : `${Math.round(hours * 60)} min`;
}
