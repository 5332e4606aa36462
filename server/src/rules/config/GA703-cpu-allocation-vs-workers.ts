/**
 * GA703 cpu-allocation-vs-workers (cross-file): a batch script gives each node fewer CPUs (`--cpus-per-task` ×
 * tasks, or `--cpus-per-gpu` × GPUs) than the processes it launches need for their data loader workers plus the
 * training process itself. The worker count comes from the job graph: a Hydra override on the launch line
 * (`data.num_workers=8`), a TrainingArguments/datamodule config, or the entry script's DataLoader / `--workers` default.
 * Anchored on the CPU directive, with the worker count's file and line as related information. Heuristic (values can
 * come from several layers), so information.
 */
import type { RuleMeta } from '../../../../shared/src/ruleMeta';
import { formatNumber } from '../../../../shared/src/carbon/format';
import { directive, type Directive, type GpuAllocation } from '../../configs/slurm';
import { entryOf, mapAt, numberOf, type ConfigEntry, type Span } from '../../configs/tree';
import { fileUri, type Job, type JobLaunch, type JobLocation } from '../../jobs/graph';
import { formatHours } from './idleGpuCost';
import { directiveText } from './jobEdits';
import type { ConfigContext, ConfigRule, ConfigRuleFinding } from './rule';

const meta: RuleMeta = {
  id: 'GA703',
  slug: 'cpu-allocation-vs-workers',
  title: 'Fewer CPUs allocated than the data loader workers need',
  category: 'input-pipeline',
  tier: 'advanced',
  defaultSeverity: 'information',
  enabledByDefault: true,
  why:
    'Each training process needs one CPU for itself and one per data loader worker. When the job allocates fewer CPUs than that, the workers share cores, batches arrive late and the allocated GPUs wait on the input pipeline for the whole job, drawing power while they wait.',
  fix: 'Allocate at least processes × (num_workers + 1) CPUs per node (`#SBATCH --cpus-per-task`), or lower num_workers to what the allocation can run.',
  sources: [
    { title: 'Princeton Research Computing: multi-GPU training with PyTorch (num_workers and --cpus-per-task raised together)', url: 'https://github.com/PrincetonUniversity/multi_gpu_training', year: 2023 },
    { title: 'Slurm sbatch: --cpus-per-task, --cpus-per-gpu', url: 'https://slurm.schedmd.com/sbatch.html', year: 2024 },
    { title: 'PyTorch Lightning data connector: suggested_max_num_workers (CPUs per device)', url: 'https://github.com/Lightning-AI/pytorch-lightning/blob/master/src/lightning/pytorch/trainer/connectors/data_connector.py', year: 2024 },
  ],
};

interface Workers {
  count: number;
  /** Where the count is written: another file of the job, or (offsets) a word of this script's launch line. */
  at: JobLocation | Span;
  what: string;
}

export const cpuAllocationVsWorkers: ConfigRule = {
  meta,
  check(context) {
    const job = context.jobs.scheduled;
    if (!job || !job.allocation) return [];
    const cpus = cpusPerNode(job, job.allocation);
    if (!cpus) return [];
    for (const launch of job.launches) {
      if (launch.launch.cpuEvidence.length > 0) continue;
      const perNode = processesPerNode(job, launch);
      const workers = workersOf(launch);
      if (perNode === undefined || !workers) continue;
      const need = perNode * (workers.count + 1);
      if (cpus.count >= need) continue;
      return [finding(context, job.allocation, cpus, launch, perNode, workers, need)];
    }
    return [];
  },
};

function cpusPerNode(job: Job, allocation: GpuAllocation): { count: number; directive: Directive; perUnit: number; units: number } | undefined {
  const perTask = directive(job.script, 'cpus-per-task');
  const perTaskCount = wholeNumber(perTask?.value);
  if (perTask && perTaskCount !== undefined) return { count: perTaskCount * allocation.tasksPerNode, directive: perTask, perUnit: perTaskCount, units: allocation.tasksPerNode };
  const perGpu = directive(job.script, 'cpus-per-gpu');
  const perGpuCount = wholeNumber(perGpu?.value);
  if (perGpu && perGpuCount !== undefined) return { count: perGpuCount * allocation.perNode, directive: perGpu, perUnit: perGpuCount, units: allocation.perNode };
  return undefined; // the cluster's default applies: not visible here
}

function processesPerNode(job: Job, launch: JobLaunch): number | undefined {
  const count = launch.processesPerNode === 'all' ? job.allocation?.perNode : launch.processesPerNode;
  if (typeof count !== 'number') return undefined;
  if (!launch.launch.underSrun) return count;
  const copies = launch.launch.srunCopiesPerNode === undefined ? job.allocation?.tasksPerNode ?? 1 : launch.launch.srunCopiesPerNode;
  return copies === null ? undefined : copies * count;
}

/** The data loader workers per process, from the most specific layer that states them. */
function workersOf(launch: JobLaunch): Workers | undefined {
  for (const word of launch.overrides) {
    const match = /^\+{0,2}(?:[\w.]*\.)?(num_workers|dataloader_num_workers)=(\d+)$/.exec(word.text);
    if (match) return { count: Number(match[2]), at: { start: word.start, end: word.end }, what: word.text };
  }
  for (const config of launch.configs) {
    if (config.file.format === 'shell') continue;
    for (const training of config.file.configs) {
      const entries: (ConfigEntry | undefined)[] = [
        training.kinds.has('hf-training-args') ? entryOf(training.root, 'dataloader_num_workers') : undefined,
        training.data ? entryOf(training.data, 'num_workers') : undefined,
        entryOf(mapAt(training.root, 'data'), 'num_workers'),
      ];
      for (const entry of entries) {
        const count = entry?.value?.type === 'scalar' ? numberOf(entry.value) : undefined;
        if (entry && count !== undefined) {
          return { count, at: { path: config.path, range: config.file.lines.range(entry.keySpan.start, entry.span.end) }, what: `${entry.key}: ${count}` };
        }
      }
    }
  }
  const fromScript = launch.entry?.facts.numWorkers;
  if (launch.entry && fromScript) return { count: fromScript.value, at: { path: launch.entry.path, range: fromScript.range }, what: `num_workers ${fromScript.value}` };
  return undefined;
}

function finding(
  context: ConfigContext,
  allocation: GpuAllocation,
  cpus: { count: number; directive: Directive; perUnit: number; units: number },
  launch: JobLaunch,
  perNode: number,
  workers: Workers,
  need: number,
): ConfigRuleFinding {
  const lines = context.lines;
  const gpus = allocation.perNode * allocation.nodes;
  const hours = allocation.hours;
  const stake = hours !== undefined
    ? `The job's ${gpus} GPU${gpus === 1 ? '' : 's'} (${formatNumber(gpus * hours)} GPU-hours over the ${formatHours(hours)} --time limit) wait whenever the loaders fall behind.`
    : `The job's ${gpus} GPU${gpus === 1 ? '' : 's'} wait whenever the loaders fall behind, for every hour of the job.`;
  const message = `This job gives each node ${cpus.count} CPU${cpus.count === 1 ? '' : 's'} (${directiveText(cpus.directive)}${cpus.units > 1 ? ` × ${cpus.units}` : ''}) but starts ${perNode} training process${perNode === 1 ? '' : 'es'} per node with ${workers.count} data loader worker${workers.count === 1 ? '' : 's'} each (${workers.what}): ${perNode} × (${workers.count} + 1) = ${need} busy threads share ${cpus.count} CPUs. ${stake}`;
  const wanted = Math.ceil(need / cpus.units);
  const fixes = cpus.directive.valueSpan
    ? [{ title: `Allocate ${wanted} CPUs (${directiveText({ ...cpus.directive, value: String(wanted) })})`, preferred: false, edits: [{ range: lines.range(cpus.directive.valueSpan.start, cpus.directive.valueSpan.end), newText: String(wanted) }] }]
    : [];
  const workersMessage = `${workers.count} data loader workers per process here`;
  const workersRelated = 'path' in workers.at
    ? { uri: fileUri(workers.at.path), range: workers.at.range, message: workersMessage }
    : { range: lines.range(workers.at.start, workers.at.end), message: workersMessage };
  const command = launch.launch.command;
  return {
    range: lines.range(cpus.directive.span.start, cpus.directive.span.end),
    message,
    fixes,
    related: [workersRelated, { range: lines.range(command.start, command.end), message: `${perNode} training process${perNode === 1 ? '' : 'es'} per node` }],
  };
}

function wholeNumber(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}
