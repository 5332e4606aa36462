/**
 * GA702 gpu-allocated-cpu-run: a batch script allocates GPUs but every launch in it runs on the CPU (`--use_cpu`,
 * `--no_cuda`, `--cpu`, `--device cpu`, `trainer.accelerator=cpu`, `CUDA_VISIBLE_DEVICES=""`). Anchored on the GPU
 * directive, with each CPU flag as related information.
 */
import type { RuleMeta } from '../../../../shared/src/ruleMeta';
import type { TextEdit } from 'vscode-languageserver-types';
import type { LineIndex } from '../../configs/positions';
import type { Word } from '../../configs/shell';
import { gpuAllocation, type Launch } from '../../configs/slurm';
import type { Fix } from '../rule';
import { idleGpuCost } from './idleGpuCost';
import { directiveText, dropDirective, dropWords } from './jobEdits';
import { jobScript, type ConfigRule } from './rule';

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
    if (job.launches.some((launch) => launch.cpuEvidence.length === 0)) return []; // some launch uses the GPUs
    const lines = context.lines;
    const evidence = job.launches.flatMap((launch) => launch.cpuEvidence);
    const first = evidence[0]!;
    const gpus = allocation.perNode * allocation.nodes;
    const fixes: Fix[] = [];
    const flags = evidence.filter((e) => !e.word.text.startsWith('CUDA_VISIBLE_DEVICES='));
    if (flags.length === evidence.length) {
      fixes.push({ title: `Remove ${flags.map((f) => f.word.text).filter((t, i, all) => all.indexOf(t) === i).join(', ')} to train on the allocated GPU`, preferred: false, edits: flags.map((f) => cpuFlagEdit(lines, job.launches, f.word)) });
    }
    fixes.push({ title: `Drop the GPU request (${directiveText(allocation.directive)})`, preferred: false, edits: [dropDirective(lines, allocation.directive)] });
    return [
      {
        range: lines.range(allocation.directive.span.start, allocation.directive.span.end),
        message: `This job allocates ${gpus} GPU${gpus === 1 ? '' : 's'} (${directiveText(allocation.directive)}) but runs on the CPU: ${first.what}. ${idleGpuCost(gpus, allocation, context.settings)}`,
        fixes,
        related: evidence.map((e) => ({ range: lines.range(e.word.start, e.word.end), message: e.what })),
      },
    ];
  },
};

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
