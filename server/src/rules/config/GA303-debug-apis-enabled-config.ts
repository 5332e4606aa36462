/**
 * GA303 in configs: debugging and profiling switches left on in a regular run's config — DeepSpeed
 * `wall_clock_breakdown: true` and `flops_profiler.enabled: true`, a Lightning trainer's `detect_anomaly: true` or
 * `profiler:`, HF TrainingArguments `skip_memory_metrics: false` or `debug: underflow_overflow`. Debug and profiling
 * profiles (a `debug/` group, names with `debug`/`profil`) are meant for this and left alone. In a Hydra job the
 * Lightning switches are judged on the composed config (hydraComposed.ts) and reported where the effective value is
 * set; a job that selects a debug profile is a debug run.
 */
import { booleanOf, entryOf, literal, mapAt, type ConfigEditor, type ConfigEntry, type ConfigMap } from '../../configs/tree';
import type { ComposedValue } from '../../jobs/hydra';
import { debugApisEnabled } from '../GA303-debug-apis-enabled';
import { composedFindings, composedFix, compositionsOf, hasTrainer, scalarOf, setHere, viaRelated, type ComposedJob, unselectedHydraOption } from './hydraComposed';
import { isDebugProfile, trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

const ANOMALY = 'detect_anomaly: true runs autograd anomaly detection (a NaN check and a stack trace record on every backward op)';

export const debugApisEnabledConfig: ConfigRule = {
  meta: debugApisEnabled.meta,
  check(context) {
    if (unselectedHydraOption(context)) return []; // an option of a Hydra app no run selects (hydraComposed.ts)
    if (isDebugProfile(context.path)) return [];
    const { configs, editor } = trainingConfigs(context);
    // A file of a Hydra job: the trainer's switches are those the run gets, after group selection and overrides.
    const hydra = compositionsOf(context).length > 0;
    const findings: ConfigRuleFinding[] = hydra ? composedFindings(context, (job) => trainerComposed(context, job)) : [];
    if (!editor) return findings;
    for (const config of configs) {
      if (config.kinds.has('deepspeed')) {
        findings.push(...switchedOn(context, editor, config.root, 'wall_clock_breakdown', true, '"wall_clock_breakdown": true synchronises the GPU to time every forward, backward and optimizer step'));
        const profiler = mapAt(config.root, 'flops_profiler');
        if (profiler) findings.push(...switchedOn(context, editor, profiler, 'enabled', true, 'the DeepSpeed flops profiler (flops_profiler.enabled: true) profiles the model during training'));
      }
      if (config.trainer && !hydra) {
        findings.push(...switchedOn(context, editor, config.trainer, 'detect_anomaly', true, ANOMALY));
        const profiler = entryOf(config.trainer, 'profiler');
        const value = profiler?.value;
        if (profiler && value && profilerSet(value)) findings.push(finding(context, profiler, `profiler: ${value.type === 'scalar' ? String(literal(value)) : '…'} profiles the whole run`, null));
      }
      if (config.kinds.has('hf-training-args')) {
        findings.push(...switchedOn(context, editor, config.root, 'skip_memory_metrics', false, 'skip_memory_metrics: false measures memory around every training and evaluation call, which Hugging Face documents as slowing them down'));
        const debug = entryOf(config.root, 'debug');
        const debugValue = debug?.value?.type === 'scalar' ? literal(debug.value) : undefined;
        if (debug && typeof debugValue === 'string' && /underflow_overflow|tpu_metrics_debug/.test(debugValue)) {
          findings.push(finding(context, debug, `debug: ${debugValue} inspects every module's activations on every step`, null));
        }
      }
    }
    return findings;
  },
};

/** A profiler object, or a profiler name (`simple`, `advanced`, `pytorch`); not null/false/"none" or an interpolation. */
function profilerSet(value: NonNullable<ConfigEntry['value']>): boolean {
  if (value.type === 'map') return true;
  return value.type === 'scalar' && !value.dynamic && value.value !== null && value.value !== false && !/^(none|null|false)$/i.test(String(value.value));
}

/**
 * The Lightning trainer of a Hydra job's composed config: `detect_anomaly` and `profiler` as the run gets them (a
 * selected group file, a launch-line override), reported in the file that sets them. A run that selects a debug or
 * profiling profile (`+debug=profiler`), or a job script named so, is meant to be slow.
 */
function trainerComposed(context: ConfigContext, { composition, job }: ComposedJob): ConfigRuleFinding[] {
  if (!hasTrainer(composition) || isDebugProfile(job.path) || composition.files.some((file) => isDebugProfile(file.path))) return [];
  const findings: ConfigRuleFinding[] = [];
  const anomaly = composition.values.get('trainer.detect_anomaly');
  if (setHere(context, anomaly) && booleanOf(scalarOf(anomaly)) === true) {
    const fix = composedFix(context, 'Set detect_anomaly: false', false, [[anomaly, false]]);
    findings.push(composedFinding(anomaly, ANOMALY, fix));
  }
  // A profiler object (`_target_: lightning.pytorch.profilers.PyTorchProfiler`) is a map; a name is a leaf.
  const profiler = composition.values.get('trainer.profiler') ?? composition.maps.get('trainer.profiler');
  if (setHere(context, profiler) && profiler.node && profilerSet(profiler.node)) {
    const scalar = scalarOf(profiler);
    findings.push(composedFinding(profiler, `profiler: ${scalar ? String(literal(scalar)) : '…'} profiles the whole run`, null));
  }
  return findings;
}

function composedFinding(value: ComposedValue, what: string, fix: NonNullable<ConfigRuleFinding['fixes']>[number] | null): ConfigRuleFinding {
  return {
    range: value.range,
    message: `${what} in the config Hydra composes for the job; that is debugging work on every step of a regular run. Turn it off, or move it into a debug profile (a debug/ config group or a *debug* file).`,
    fixes: fix ? [fix] : [],
    related: viaRelated(value),
  };
}

/** `key: on` where `on` is the debugging value; the fix writes the regular one. */
function switchedOn(context: ConfigContext, editor: ConfigEditor, map: ConfigMap, key: string, debugValue: boolean, what: string): ConfigRuleFinding[] {
  const entry = entryOf(map, key);
  if (!entry || entry.value?.type !== 'scalar' || booleanOf(entry.value) !== debugValue) return [];
  return [finding(context, entry, what, { title: `Set ${key}: ${String(!debugValue)}`, preferred: false, edits: [editor.setScalar(entry.value, !debugValue)] })];
}

function finding(context: ConfigContext, entry: ConfigEntry, what: string, fix: NonNullable<ConfigRuleFinding['fixes']>[number] | null): ConfigRuleFinding {
  return {
    range: context.lines.range(entry.keySpan.start, entry.span.end),
    message: `${what}; that is debugging work on every step of a regular run. Turn it off, or move it into a debug profile (a debug/ config group or a *debug* file).`,
    fixes: fix ? [fix] : [],
  };
}
