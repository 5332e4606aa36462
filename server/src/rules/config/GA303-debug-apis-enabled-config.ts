/**
 * GA303 in configs: debugging and profiling switches left on in a regular run's config — DeepSpeed
 * `wall_clock_breakdown: true` and `flops_profiler.enabled: true`, a Lightning trainer's `detect_anomaly: true` or
 * `profiler:`, HF TrainingArguments `skip_memory_metrics: false` or `debug: underflow_overflow`. Debug and profiling
 * profiles (a `debug/` group, names with `debug`/`profil`) are meant for this and left alone.
 */
import { booleanOf, entryOf, literal, mapAt, type ConfigEditor, type ConfigEntry, type ConfigMap } from '../../configs/tree';
import { debugApisEnabled } from '../GA303-debug-apis-enabled';
import { isDebugProfile, trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

export const debugApisEnabledConfig: ConfigRule = {
  meta: debugApisEnabled.meta,
  check(context) {
    if (isDebugProfile(context.path)) return [];
    const { configs, editor } = trainingConfigs(context);
    if (!editor) return [];
    const findings: ConfigRuleFinding[] = [];
    for (const config of configs) {
      if (config.kinds.has('deepspeed')) {
        findings.push(...switchedOn(context, editor, config.root, 'wall_clock_breakdown', true, '"wall_clock_breakdown": true synchronises the GPU to time every forward, backward and optimizer step'));
        const profiler = mapAt(config.root, 'flops_profiler');
        if (profiler) findings.push(...switchedOn(context, editor, profiler, 'enabled', true, 'the DeepSpeed flops profiler (flops_profiler.enabled: true) profiles the model during training'));
      }
      if (config.trainer) {
        findings.push(...switchedOn(context, editor, config.trainer, 'detect_anomaly', true, 'detect_anomaly: true runs autograd anomaly detection (a NaN check and a stack trace record on every backward op)'));
        const profiler = entryOf(config.trainer, 'profiler');
        const value = profiler?.value;
        const set = value && (value.type === 'map' || (value.type === 'scalar' && !value.dynamic && value.value !== null && value.value !== false && !/^(none|null|false)$/i.test(String(value.value))));
        if (profiler && set) findings.push(finding(context, profiler, `profiler: ${value.type === 'scalar' ? String(literal(value)) : '…'} profiles the whole run`, null));
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
