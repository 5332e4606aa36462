/**
 * GA601 in configs: a Lightning CLI / Hydra trainer config with none of `max_epochs`, `max_steps` (≠ -1), `max_time`
 * or `fast_dev_run`, so Lightning trains for up to 1000 epochs; `max_epochs: -1` without another bound trains until
 * stopped (reported on that key, at information: the catalogue's level for an explicit open end). A Hydra file
 * composed from `defaults:` may get the bound elsewhere and is left alone; an EarlyStopping callback lowers the finding
 * to information. When a batch job that runs this config has a `--time` limit (job graph), the quick fix writes it as
 * `max_time`, so the trainer stops and saves before the scheduler kills the job.
 */
import { entryOf, numberOf, scalarAt, stringOf, type ConfigEntry, type ConfigMap } from '../../configs/tree';
import type { TrainingConfig } from '../../configs/kinds';
import { unboundedTrainingLength } from '../GA601-unbounded-training-length';
import type { Fix } from '../rule';
import type { Range } from 'vscode-languageserver-types';
import { fileUri } from '../../jobs/graph';
import { composedFindings, compositionsOf, hasTrainer, scalarOf, setHere, viaRelated, type ComposedJob } from './hydraComposed';
import { unselectedHydraOption } from './hydraComposed';
import { launchRelated, setOnLaunchLine, trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

const DEFAULT_EPOCHS = 1000;
/** Minutes left to the trainer before the scheduler's limit, to save a checkpoint and exit. */
const MARGIN_MINUTES = 10;

export const unboundedTrainingLengthConfig: ConfigRule = {
  meta: unboundedTrainingLength.meta,
  check(context) {
    if (unselectedHydraOption(context)) return []; // an option of a Hydra app no run selects (hydraComposed.ts)
    const { configs, editor } = trainingConfigs(context);
    // A file of a Hydra job: the budget is judged on the composed config (jobs/hydra.ts).
    if (compositionsOf(context).length > 0) return composedFindings(context, (job) => composedBudget(context, job));
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
      // The catalogue's anchor: the offending key where there is one (`max_epochs: -1`), else the trainer's context line.
      const anchor = epochs ?? anchorOf(config, trainer);
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
      const range = epochs ? context.lines.range(epochs.keySpan.start, epochs.span.end) : context.lines.range(anchor.keySpan.start, anchor.keySpan.end);
      // `max_epochs: -1` asks for open-ended training in so many words (a pre-training run stopped by hand or by a
      // token budget): the catalogue reports it at information, like a run EarlyStopping may end.
      return [{ range, message, fixes, related, uncertain: earlyStopping || epochs !== undefined }];
    });
  },
};

const BOUNDS = ['max_epochs', 'max_steps', 'max_time', 'fast_dev_run'];

/**
 * The composed trainer of a Hydra job without any budget. Anchored on the defaults entry that selects the trainer
 * group (the line to change the option on), else on the `trainer:` key of the file that writes the trainer; silent
 * when the composition is incomplete or a bound is set to a value decided at run time.
 */
function composedBudget(context: ConfigContext, { composition, job }: ComposedJob): ConfigRuleFinding[] {
  if (!hasTrainer(composition) || stringOf(scalarOf(composition.values.get('trainer.accelerator'))) === 'cpu') return [];
  const bounds = BOUNDS.map((key) => composition.values.get(`trainer.${key}`)).filter((v) => v !== undefined);
  const epochs = composition.values.get('trainer.max_epochs');
  const steps = composition.values.get('trainer.max_steps');
  for (const bound of bounds) {
    const scalar = scalarOf(bound);
    if (!scalar || scalar.dynamic) return []; // a map, list or interpolation: decided elsewhere
    if (bound === epochs) {
      if (numberOf(scalar) !== -1) return [];
    } else if (bound === steps) {
      const value = numberOf(scalar);
      if (value === undefined ? scalar.value !== null : value > 0) return [];
    } else if (scalar.value !== null && scalar.value !== false) return [];
  }
  if (!composition.complete && !epochs) return [];
  // Where to report: the -1 itself, else the trainer group's defaults entry, else the trainer map's key.
  const trainerFile = composition.files.find((file) => file.via && (file.package === 'trainer' || file.package.startsWith('trainer.')));
  let range: Range;
  let fixMap: ConfigMap | undefined;
  const related: NonNullable<ConfigRuleFinding['related']> = [];
  if (epochs) {
    if (!setHere(context, epochs)) return [];
    range = epochs.range;
    related.push(...viaRelated(epochs));
  } else if (trainerFile?.via) {
    if (fileUri(trainerFile.via.path) !== context.uri || trainerFile.via.path === job.path) return [];
    range = trainerFile.via.range;
    related.push({ uri: fileUri(trainerFile.path), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message: `the trainer options come from ${trainerFile.via.text}; none of them bounds the run` });
  } else {
    const map = composition.maps.get('trainer');
    if (!setHere(context, map) || !map.entry) return [];
    range = context.lines.range(map.entry.keySpan.start, map.entry.keySpan.end);
    fixMap = map.node?.type === 'map' ? map.node : undefined;
  }
  const fixes: Fix[] = [];
  const hours = job.allocation?.hours;
  if (hours !== undefined) {
    const command = job.launches.find((launch) => launch.hydra === composition)?.launch.command;
    if (command) related.push({ uri: job.uri, range: job.lines.range(command.start, command.end), message: `this job runs the config with a ${formatTimeLimit(hours)} --time limit` });
    const maxTime = durationOf(Math.max(hours * 60 - MARGIN_MINUTES, Math.ceil(hours * 60 * 0.9)));
    const edit = fixMap && !epochs && context.file.format === 'yaml' ? context.file.editor.addEntry(fixMap, 'max_time', `"${maxTime}"`, 'end') : null;
    if (edit) fixes.push({ title: `Add max_time: "${maxTime}" (the job's --time limit less ${MARGIN_MINUTES} min)`, preferred: false, edits: [edit] });
  }
  const message = epochs
    ? 'The trainer Hydra composes for this job has max_epochs: -1 and no max_steps or max_time: it trains until stopped by hand or by the scheduler. Set the intended budget (max_epochs, max_steps or max_time).'
    : `The trainer Hydra composes for this job gets none of max_epochs, max_steps or max_time from its config files or the launch line, so Lightning trains for up to ${DEFAULT_EPOCHS} epochs. Set the intended budget (max_epochs, max_steps or max_time).`;
  // `max_epochs: -1` is open-ended on purpose: information (catalogue), as in a single config file.
  return [{ range, message, fixes, related, uncertain: epochs !== undefined }];
}

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
