/**
 * GA704 deepspeed-offload-unneeded: DeepSpeed ZeRO offload of optimizer states or parameters to the CPU or NVMe
 * (`zero_optimization.offload_optimizer.device`, `offload_param.device`; Accelerate's `offload_optimizer_device`,
 * `offload_param_device`), and ZeRO stage 3 run by a single process — in the same Accelerate file
 * (`num_processes: 1`) or, through the job graph, by the batch job that launches the DeepSpeed config with one
 * process. Offload and partitioning trade speed for memory; whether the model needs it cannot be known statically,
 * so the rule is advanced (information) and suggests trying without it first.
 */
import type { RuleMeta } from '../../../../shared/src/ruleMeta';
import { entryOf, mapAt, numberOf, stringOf, type ConfigEditor, type ConfigEntry } from '../../configs/tree';
import { jobWorldSizes, launchRelated, trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

const meta: RuleMeta = {
  id: 'GA704',
  slug: 'deepspeed-offload-unneeded',
  title: 'DeepSpeed offload or ZeRO-3 where it may not be needed',
  category: 'distributed',
  tier: 'advanced',
  defaultSeverity: 'information',
  enabledByDefault: true,
  why:
    'ZeRO offload moves optimizer states or parameters to CPU memory or NVMe: every step then copies gradients and weights across PCIe and runs the optimizer on the CPU while the GPU waits. ZeRO stage 3 partitions parameters across processes and gathers them for every layer. Both save GPU memory at the cost of time (and so energy); with a single process, stage 3 has nothing to partition across. Hugging Face: if the model fits on one GPU with a small batch, DeepSpeed "will only slow things down".',
  fix: 'Try without offload (`device: none`) and with the lowest ZeRO stage that fits first; keep offload only when the model does not fit otherwise.',
  sources: [
    { title: 'Hugging Face — Efficient training on a single GPU: DeepSpeed ZeRO', url: 'https://huggingface.co/docs/transformers/perf_train_gpu_one', year: 2024 },
    { title: 'Hugging Face — DeepSpeed integration (ZeRO stages and offload)', url: 'https://huggingface.co/docs/transformers/deepspeed', year: 2024 },
    { title: 'DeepSpeed configuration JSON: zero_optimization, offload_optimizer, offload_param', url: 'https://www.deepspeed.ai/docs/config-json/', year: 2024 },
  ],
};

const OFFLOADED = new Set(['cpu', 'nvme']);

export const deepspeedOffloadUnneeded: ConfigRule = {
  meta,
  check(context) {
    const { configs, editor } = trainingConfigs(context);
    if (!editor) return [];
    const findings: ConfigRuleFinding[] = [];
    for (const config of configs) {
      if (config.kinds.has('deepspeed')) {
        const zero = mapAt(config.root, 'zero_optimization');
        if (!zero) continue;
        for (const section of ['offload_optimizer', 'offload_param'] as const) {
          findings.push(...offload(context, editor, entryOf(mapAt(zero, section), 'device'), section === 'offload_optimizer' ? 'optimizer states' : 'parameters'));
        }
        const single = jobWorldSizes(context).filter((s) => s.size === 1);
        const all = jobWorldSizes(context);
        if (single.length > 0 && single.length === all.length) findings.push(...stageThree(context, editor, entryOf(zero, 'stage'), 'stage', launchRelated(single[0]!.use, 'this job runs the config with one process')));
      }
      if (config.kinds.has('accelerate')) {
        const deepspeed = mapAt(config.root, 'deepspeed_config');
        if (!deepspeed) continue;
        findings.push(...offload(context, editor, entryOf(deepspeed, 'offload_optimizer_device'), 'optimizer states'));
        findings.push(...offload(context, editor, entryOf(deepspeed, 'offload_param_device'), 'parameters'));
        const processes = entryOf(config.root, 'num_processes');
        if (processes?.value?.type === 'scalar' && numberOf(processes.value) === 1) {
          findings.push(...stageThree(context, editor, entryOf(deepspeed, 'zero_stage'), 'zero_stage', { range: context.lines.range(processes.keySpan.start, processes.span.end), message: 'one process' }));
        }
      }
    }
    return findings;
  },
};

function offload(context: ConfigContext, editor: ConfigEditor, entry: ConfigEntry | undefined, what: string): ConfigRuleFinding[] {
  const value = entry?.value?.type === 'scalar' ? stringOf(entry.value) : undefined;
  if (!entry || entry.value?.type !== 'scalar' || !value || !OFFLOADED.has(value.toLowerCase())) return [];
  return [
    {
      range: context.lines.range(entry.keySpan.start, entry.span.end),
      message: `ZeRO offloads the ${what} to ${value === 'nvme' ? 'NVMe' : 'CPU memory'}: every step copies them across PCIe${what === 'optimizer states' ? ' and runs the optimizer on the CPU' : ''} while the GPU waits. If the model fits without it (try first), training is faster and uses less energy.`,
      fixes: [{ title: `Set ${entry.key}: none (try without offload)`, preferred: false, edits: [editor.setScalar(entry.value, 'none')] }],
    },
  ];
}

function stageThree(context: ConfigContext, editor: ConfigEditor, entry: ConfigEntry | undefined, key: string, related: NonNullable<ConfigRuleFinding['related']>[number]): ConfigRuleFinding[] {
  if (!entry || entry.value?.type !== 'scalar' || numberOf(entry.value) !== 3) return [];
  return [
    {
      range: context.lines.range(entry.keySpan.start, entry.span.end),
      message: 'ZeRO stage 3 with a single process: there is no other process to partition the model over, yet every layer still goes through the gather/release machinery. A lower stage (or plain training) is faster if the model fits.',
      fixes: [{ title: `Set ${key}: 0 (one process: nothing to partition)`, preferred: false, edits: [editor.setScalar(entry.value, 0)] }],
      related: [related],
    },
  ];
}

