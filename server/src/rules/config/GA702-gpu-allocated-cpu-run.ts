/**
 * GA702 gpu-allocated-cpu-run: a batch script allocates GPUs but every launch in it runs on the CPU (`--use_cpu`,
 * `--no_cuda`, `--cpu`, `--device cpu`, `trainer.accelerator=cpu`, `CUDA_VISIBLE_DEVICES=""`). Anchored on the GPU
 * directive, with each CPU flag as related information. Through the job graph the configs a launch loads count too
 * (`accelerator: cpu` of a Lightning or Hydra-composed trainer, `use_cpu: true` of an Accelerate config,
 * `use_cpu`/`no_cuda: true` of TrainingArguments), with related information and a cross-file fix on that file.
 */
import type { RuleMeta } from '../../../../shared/src/ruleMeta';
import path from 'node:path';
import type { Range, TextEdit } from 'vscode-languageserver-types';
import type { LineIndex } from '../../configs/positions';
import { booleanOf, entryOf, scalarAt, stringOf } from '../../configs/tree';
import { YamlEditor } from '../../configs/yaml';
import { fileUri, type JobLaunch } from '../../jobs/graph';
import type { Word } from '../../configs/shell';
import { gpuAllocation, type Launch } from '../../configs/slurm';
import type { Fix } from '../rule';
import { idleGpuCost } from './idleGpuCost';
import { directiveText, dropDirective, dropWords } from './jobEdits';
import { jobScript, otherFileEdits, type ConfigRule } from './rule';

const meta: RuleMeta = {
  id: 'GA702',
  slug: 'gpu-allocated-cpu-run',
  title: 'GPUs allocated for a run configured for the CPU',
  category: 'distributed',
  tier: 'core',
  defaultSeverity: 'warning',
  enabledByDefault: true,
  why:
    'The job holds its GPUs for its whole wall time while the training runs on the CPU: the allocated GPUs idle (drawing idle power and carrying their embodied carbon) and are kept from other jobs, and the CPU run itself takes many times longer than it would on the GPU it already has.',
  fix: 'Remove the CPU flag (`--use_cpu`, `--no_cuda`, `--cpu`, `CUDA_VISIBLE_DEVICES=""`) so the run uses the allocated GPU, or drop the GPU request when the job is meant for the CPU.',
  sources: [
    { title: 'Slurm sbatch: --gres, --gpus, --time', url: 'https://slurm.schedmd.com/sbatch.html', year: 2024 },
    { title: 'Hugging Face TrainingArguments: use_cpu', url: 'https://huggingface.co/docs/transformers/main_classes/trainer', year: 2024 },
    { title: 'CUDA Environment Variables: CUDA_VISIBLE_DEVICES', url: 'https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#env-vars', year: 2024 },
  ],
};

export const gpuAllocatedCpuRun: ConfigRule = {
  meta,
  check(context) {
    const job = jobScript(context);
    const allocation = job ? gpuAllocation(job) : undefined;
    if (!job || !allocation || job.launches.length === 0) return [];
    const linkedOf = (launch: Launch) => context.jobs.scheduled?.launches.find((l) => l.launch.command.start === launch.command.start);
    // Through the job graph: the configs a launch loads (or Hydra composes) may force the CPU instead of its flags.
    const inConfigs = new Map(job.launches.map((launch) => [launch, launch.cpuEvidence.length === 0 ? configCpuEvidence(linkedOf(launch)) : []]));
    if (job.launches.some((launch) => launch.cpuEvidence.length === 0 && inConfigs.get(launch)!.length === 0)) return []; // some launch uses the GPUs
    const lines = context.lines;
    const evidence = job.launches.flatMap((launch) => launch.cpuEvidence);
    const configEvidence = job.launches.flatMap((launch) => inConfigs.get(launch)!);
    const firstWhat = evidence[0]?.what ?? `${configEvidence[0]!.what} (${path.basename(configEvidence[0]!.path)})`;
    const gpus = allocation.perNode * allocation.nodes;
    const fixes: Fix[] = [];
    const flags = evidence.filter((e) => !e.word.text.startsWith('CUDA_VISIBLE_DEVICES='));
    if (flags.length > 0 && flags.length === evidence.length && configEvidence.length === 0) {
      fixes.push({ title: `Remove ${flags.map((f) => f.word.text).filter((t, i, all) => all.indexOf(t) === i).join(', ')} to train on the allocated GPU`, preferred: false, edits: flags.map((f) => cpuFlagEdit(lines, job.launches, f.word)) });
    }
    if (evidence.length === 0) {
      // Only configs force the CPU: switch each to the GPU in its own file (a cross-file edit per config).
      const edits = configEvidence.flatMap((e) => (e.edit ? [otherFileEdits(e.path, e.lines, [e.edit])] : []));
      if (edits.length === configEvidence.length) fixes.push({ title: `Train on the allocated GPU (${configEvidence.map((e) => `${e.gpuText} in ${path.basename(e.path)}`).join(', ')})`, preferred: false, edits: [], otherFiles: edits });
    }
    fixes.push({ title: `Drop the GPU request (${directiveText(allocation.directive)})`, preferred: false, edits: [dropDirective(lines, allocation.directive)] });
    return [
      {
        range: lines.range(allocation.directive.span.start, allocation.directive.span.end),
        message: `This job allocates ${gpus} GPU${gpus === 1 ? '' : 's'} (${directiveText(allocation.directive)}) but runs on the CPU: ${firstWhat}. ${idleGpuCost(gpus, allocation, context.settings)}`,
        fixes,
        related: [
          ...evidence.map((e) => ({ range: lines.range(e.word.start, e.word.end), message: e.what })),
          ...configEvidence.map((e) => ({ uri: fileUri(e.path), range: e.range, message: e.what })),
        ],
      },
    ];
  },
};

export interface ConfigCpuEvidence {
  path: string;
  lines: LineIndex;
  range: Range;
  what: string;
  /** The edit that puts this config back on the GPU, and how its title names it. */
  edit: TextEdit | null;
  gpuText: string;
}

/**
 * What forces a launch onto the CPU in the files the job graph links to it: an Accelerate config with `use_cpu: true`
 * (for `accelerate launch`), TrainingArguments with `use_cpu`/`no_cuda: true`, a Lightning trainer with
 * `accelerator: cpu` (the composed value for a Hydra app, so a launch-line override or another option counts).
 * Configs found only by file name (a cluster path) are not evidence.
 */
export function configCpuEvidence(linked: JobLaunch | undefined): ConfigCpuEvidence[] {
  if (!linked) return [];
  const found: ConfigCpuEvidence[] = [];
  const composition = linked.hydra;
  if (composition) {
    const accelerator = composition.values.get('trainer.accelerator');
    const scalar = accelerator?.node?.type === 'scalar' ? accelerator.node : undefined;
    if (accelerator && stringOf(scalar) === 'cpu') {
      // Rewriting a group option (`trainer/cpu.yaml`) to the GPU would make its name lie: the fix is to select another option, by hand.
      const inOption = 'via' in accelerator.file && accelerator.file.via !== undefined;
      const edit = accelerator.override
        ? accelerator.override.end - accelerator.override.start === accelerator.override.text.length ? { range: accelerator.file.lines.range(scalar!.start, scalar!.end), newText: 'gpu' } : null
        : inOption ? null : new YamlEditor(accelerator.file.lines).setScalar(scalar!, 'gpu');
      found.push({ path: accelerator.file.path, lines: accelerator.file.lines, range: accelerator.range, what: 'the Lightning trainer Hydra composes for the job has accelerator: cpu', edit, gpuText: 'accelerator: gpu' });
    }
  }
  for (const config of linked.configs) {
    if (config.file.format === 'shell' || config.byName) continue;
    const { lines, editor } = config.file;
    for (const training of config.file.configs) {
      const keyed = (key: string, what: string, value: boolean | string, gpuText: string) => {
        const entry = entryOf(training.root, key);
        if (!entry || entry.value?.type !== 'scalar') return;
        found.push({ path: config.path, lines, range: lines.range(entry.keySpan.start, entry.span.end), what, edit: editor.setScalar(entry.value, value), gpuText });
      };
      if (training.kinds.has('accelerate') && linked.launch.launcher === 'accelerate' && booleanOf(scalarAt(training.root, 'use_cpu')) === true) {
        keyed('use_cpu', 'the Accelerate config sets use_cpu: true', false, 'use_cpu: false');
      }
      if (training.kinds.has('hf-training-args')) {
        if (booleanOf(scalarAt(training.root, 'use_cpu')) === true) keyed('use_cpu', 'the TrainingArguments set use_cpu: true', false, 'use_cpu: false');
        if (booleanOf(scalarAt(training.root, 'no_cuda')) === true) keyed('no_cuda', 'the TrainingArguments set no_cuda: true', false, 'no_cuda: false');
      }
      if (training.trainer && !composition && stringOf(scalarAt(training.trainer, 'accelerator')) === 'cpu' && !acceleratorOnLaunchLine(linked)) {
        const entry = entryOf(training.trainer, 'accelerator')!;
        found.push({ path: config.path, lines, range: lines.range(entry.keySpan.start, entry.span.end), what: 'the Lightning trainer config sets accelerator: cpu', edit: entry.value?.type === 'scalar' ? editor.setScalar(entry.value, 'gpu') : null, gpuText: 'accelerator: gpu' });
      }
    }
  }
  return found;
}

/** `trainer.accelerator=…` / `--trainer.accelerator …` after the entry script decides the accelerator instead of the config. */
function acceleratorOnLaunchLine(linked: JobLaunch): boolean {
  const words = linked.launch.command.words;
  const entry = linked.launch.entry;
  const from = entry ? words.findIndex((w) => w.start === entry.start) + 1 : 0;
  return words.slice(from).some((word) => /^(?:\+{1,2}|--)?trainer\.accelerator(=|$)/.test(word.text));
}

/** Removes a CPU flag, with its value when written as a separate word (`--device cpu`, `--use_cpu true`). */
function cpuFlagEdit(lines: LineIndex, launches: readonly Launch[], word: Word): TextEdit {
  for (const launch of launches) {
    const index = launch.command.words.findIndex((w) => w.start === word.start);
    if (index === -1) continue;
    const next = launch.command.words[index + 1];
    if (!word.text.includes('=') && next && /^(cpu|true|True|1|yes)$/.test(next.text)) return dropWords(lines, word, next);
  }
  return dropWords(lines, word);
}
