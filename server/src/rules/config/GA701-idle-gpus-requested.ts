/**
 * GA701 idle-gpus-requested: a batch script allocates N GPUs per node but its launch starts fewer processes
 * (`torchrun --nproc_per_node=K`, `accelerate launch --num_processes K`, `deepspeed --num_gpus K`, a plain
 * `python train.py`). Anchored on the `#SBATCH` GPU directive, with the launch line as related information;
 * the message states the idle GPU-hours for the `--time` limit and their energy and CO2e (carbon model).
 * With the job graph, an `accelerate launch` without `--num_processes` takes the count from its `--config_file`, and a
 * plain `python` launch is judged by its entry script: one that spreads over every GPU itself (DataParallel,
 * device_map, mp.spawn, HF/Lightning Trainer) is not flagged; one that does not is flagged at the rule's severity.
 * Without the entry script the plain-python finding is uncertain (information). Under `srun` a Lightning script starts
 * no processes itself (one rank per SLURM task): srun's tasks per node are the processes, judged once Lightning's
 * `devices` (launch line, Hydra-composed or config) is known to equal them.
 * A Kubeflow PyTorchJob manifest is checked the same way per replica type: `nvidia.com/gpu` per pod against the
 * processes its container starts (configs/kubernetes.ts), anchored on the limit, × replicas for the idle GPU-hours.
 */
import type { RuleMeta } from '../../../../shared/src/ruleMeta';
import { gpuAllocation, type GpuAllocation, type Launch } from '../../configs/slurm';
import { fileUri, instantiatesLightning, type JobLaunch } from '../../jobs/graph';
import type { Fix } from '../rule';
import { configCpuEvidence } from './GA702-gpu-allocated-cpu-run';
import { idleGpuCost } from './idleGpuCost';
import { directiveText, setGpuCount } from './jobEdits';
import { pytorchJobOf } from '../../configs/kubernetes';
import type { TrainingConfig } from '../../configs/kinds';
import type { ConfigEditor } from '../../configs/tree';
import path from 'node:path';
import type { Range } from 'vscode-languageserver-types';
import { entryOf, numberOf, scalarAt } from '../../configs/tree';
import { jobScript, otherFileEdits, trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

const meta: RuleMeta = {
  id: 'GA701',
  slug: 'idle-gpus-requested',
  title: 'More GPUs allocated than the job starts processes for',
  category: 'distributed',
  tier: 'core',
  defaultSeverity: 'warning',
  enabledByDefault: true,
  why:
    'A batch job holds every GPU it allocates for its whole run, whether a process uses it or not: GPUs that no process drives still draw idle power, count toward the job\'s embodied carbon and accounting, and are kept from other jobs. With one process per GPU (torchrun, accelerate launch, deepspeed), starting fewer processes than the GPUs allocated per node leaves the rest idle for the entire wall time.',
  fix: 'Start one process per allocated GPU (`torchrun --nproc_per_node=N`, `accelerate launch --num_processes N`, `srun` with `--ntasks-per-node=N`, a PyTorchJob\'s `nprocPerNode`), or request only the GPUs the job uses (`--gres=gpu:K`, `nvidia.com/gpu: K`).',
  sources: [
    { title: 'Slurm sbatch: --gres, --gpus, --gpus-per-node, --time', url: 'https://slurm.schedmd.com/sbatch.html', year: 2024 },
    { title: 'Slurm Generic Resource (GRES) scheduling', url: 'https://slurm.schedmd.com/gres.html', year: 2024 },
    { title: 'torchrun (Elastic Launch): --nproc-per-node', url: 'https://pytorch.org/docs/stable/elastic/run.html', year: 2024 },
    { title: 'Princeton Research Computing: multi-GPU training with PyTorch', url: 'https://github.com/PrincetonUniversity/multi_gpu_training', year: 2023 },
    { title: 'Kubeflow Training Operator: PyTorchJob (nprocPerNode, nvidia.com/gpu limits)', url: 'https://www.kubeflow.org/docs/components/trainer/legacy-v1/user-guides/pytorch/', year: 2024 },
  ],
};

export const idleGpusRequested: ConfigRule = {
  meta,
  check(context) {
    const kubernetes = trainingConfigs(context);
    if (kubernetes.editor) return kubernetes.configs.flatMap((config) => pytorchJobFindings(context, config, kubernetes.editor!));
    const job = jobScript(context);
    const allocation = job ? gpuAllocation(job) : undefined;
    if (!job || !allocation || allocation.perNode < 1) return [];
    const linkedOf = (launch: Launch) => context.jobs.scheduled?.launches.find((l) => l.launch.command.start === launch.command.start);
    // CPU runs (a flag on the launch line, or a config that forces the CPU) are GA702's
    const launches = job.launches.filter((launch) => launch.cpuEvidence.length === 0 && configCpuEvidence(linkedOf(launch)).length === 0);
    if (launches.length === 0) return [];
    let main: { launch: Launch; perNode: number; linked: JobLaunch | undefined; devices: LightningDevices | undefined } | undefined;
    for (const launch of launches) {
      const linked = context.jobs.scheduled?.launches.find((l) => l.launch.command.start === launch.command.start);
      const perNode = processesPerNode(launch, allocation, linked);
      if (perNode === null) return []; // one launch may use every GPU, or its size is decided at run time
      let devices: LightningDevices | undefined;
      if (launch.launcher === 'python' && launch.defaulted && launch.underSrun && runsLightning(linked)) {
        // Under srun, Lightning starts no processes of its own: each SLURM task is one rank on one device, and a
        // `devices` other than the tasks per node stops the job with a ValueError (not idle GPUs). So srun's task
        // count is the process count, but only once `devices` is known to agree with it.
        devices = lightningDevices(context, linked!);
        if (!devices || devices.count !== perNode) return [];
      } else if (launch.launcher === 'python' && launch.defaulted && (linked?.entry?.facts.multiGpuInProcess || instantiatesLightning(linked?.hydra))) {
        return []; // the script spreads over the GPUs itself (also a Lightning Trainer that Hydra instantiates from the composed config)
      }
      if (!main || perNode >= main.perNode) main = { launch, perNode, linked, devices };
    }
    if (!main || main.perNode >= allocation.perNode) return [];
    return [finding(context, allocation, main.launch, main.perNode, main.linked, main.devices)];
  },
};

/** Processes a launch starts on each node; null when it is 'all GPUs' or unknown. */
function processesPerNode(launch: Launch, allocation: GpuAllocation, linked: JobLaunch | undefined): number | null {
  // accelerate launch without --num_processes: the count its --config_file gives (the job graph read it)
  const count = launch.perNode === null && !launch.countWord && typeof linked?.processesPerNode === 'number' ? linked.processesPerNode : launch.perNode;
  if (count === null || count === 'all') return null;
  if (!launch.underSrun) return allocation.nodes > 1 ? null : count; // launchers that reach other nodes themselves (pdsh, ssh) are not modelled
  const copies = launch.srunCopiesPerNode === undefined ? allocation.tasksPerNode : launch.srunCopiesPerNode;
  return copies === null ? null : copies * count;
}

/** A Lightning `devices` count the launch gets, and where it is written (related information). */
interface LightningDevices {
  count: number;
  uri: string;
  range: Range;
  text: string;
}

/** The entry script is a Lightning script (Trainer, LightningCLI), or Hydra instantiates a Lightning Trainer. */
function runsLightning(linked: JobLaunch | undefined): boolean {
  return Boolean(linked?.entry?.facts.multiGpuInProcess?.value.includes('Lightning') || instantiatesLightning(linked?.hydra));
}

/**
 * `devices` as the run gets it: the launch line (`--trainer.devices=2`, `--trainer.devices 2`, a Hydra
 * `trainer.devices=2`; the last one wins), else the Hydra-composed `trainer.devices`, else a literal `devices:` in a
 * trainer config the launch loads. Undefined for `auto`, a list or anything decided at run time.
 */
function lightningDevices(context: ConfigContext, linked: JobLaunch): LightningDevices | undefined {
  const words = linked.launch.command.words;
  const entry = linked.launch.entry;
  const from = entry ? words.findIndex((w) => w.start === entry.start) + 1 : words.length;
  let onLine: LightningDevices | null | undefined;
  for (let i = from; i < words.length; i++) {
    const word = words[i]!;
    const match = /^(?:--|\+{0,2})trainer\.devices(?:=(.*))?$/.exec(word.text);
    if (!match) continue;
    const value = match[1] === undefined && word.text.startsWith('--') ? words[i + 1] : match[1] === undefined ? undefined : word;
    const text = match[1] ?? value?.text;
    const end = match[1] === undefined && value ? value.end : word.end;
    onLine = value && !value.dynamic && text !== undefined && /^\d+$/.test(text) && Number(text) > 0 ? { count: Number(text), uri: context.uri, range: context.lines.range(word.start, end), text: context.lines.text.slice(word.start, end) } : null;
  }
  if (onLine !== undefined) return onLine ?? undefined;
  const composed = linked.hydra?.values.get('trainer.devices');
  if (linked.hydra) {
    const count = composed?.node?.type === 'scalar' ? numberOf(composed.node) : undefined;
    return composed && count !== undefined && Number.isInteger(count) && count > 0 ? { count, uri: fileUri(composed.file.path), range: composed.range, text: composed.override?.text ?? `devices: ${count}` } : undefined;
  }
  for (const config of linked.configs) {
    if (config.file.format === 'shell' || config.byName) continue;
    for (const training of config.file.configs) {
      const devices = training.trainer ? entryOf(training.trainer, 'devices') : undefined;
      if (!devices) continue;
      const count = devices.value?.type === 'scalar' ? numberOf(devices.value) : undefined;
      if (count === undefined || !Number.isInteger(count) || count <= 0) return undefined;
      return { count, uri: fileUri(config.path), range: config.file.lines.range(devices.keySpan.start, devices.span.end), text: `devices: ${count}` };
    }
  }
  return undefined;
}

function finding(context: ConfigContext, allocation: GpuAllocation, launch: Launch, perNode: number, linked: JobLaunch | undefined, devices?: LightningDevices): ConfigRuleFinding {
  const idlePerNode = allocation.perNode - perNode;
  const nodes = launch.underSrun ? allocation.nodes : 1;
  const idle = idlePerNode * nodes;
  const lines = context.lines;
  const what = launchDescription(launch, perNode);
  const plainPython = launch.launcher === 'python' && launch.defaulted;
  // Found by file name only (an absolute cluster path): it may not be the script the job runs, so stay uncertain.
  const entry = linked?.entry && !linked.entry.byName ? linked.entry : undefined;
  const entryName = launch.entry?.text ?? 'the script';
  const gpusText = `${allocation.perNode} GPU${allocation.perNode === 1 ? '' : 's'}${allocation.nodes > 1 ? ' per node' : ''}`;
  const message = [
    `This job allocates ${gpusText} (${directiveText(allocation.directive)}) but ${what}: ${idle} GPU${idle === 1 ? ' stays' : 's stay'} idle for the whole job${
      devices
        ? ` (under srun, Lightning starts no processes of its own: each SLURM task runs one rank on one GPU, matching ${devices.text})`
        : plainPython
        ? entry
          ? ` (${entryName} neither uses nn.DataParallel, device_map, mp.spawn nor a Trainer that spreads over every GPU)`
          : `, unless ${entryName} spreads over all GPUs itself (nn.DataParallel, device_map, Lightning devices=${allocation.perNode})`
        : ''
    }.`,
    idleGpuCost(idle, allocation, context.settings),
  ].join(' ');
  const fixes: Fix[] = [];
  if (launch.countWord && !launch.countWord.dynamic && launch.launcher !== 'accelerate') {
    const copies = launch.underSrun ? (launch.srunCopiesPerNode ?? allocation.tasksPerNode) ?? 1 : 1;
    if (allocation.perNode % copies === 0) {
      const count = allocation.perNode / copies;
      fixes.push({ title: `Start ${count} processes per node`, preferred: false, edits: [{ range: lines.range(launch.countWord.start, launch.countWord.end), newText: String(count) }] });
    }
  } else if (launch.launcher === 'torchrun' && launch.defaulted && !launch.underSrun) {
    const program = launch.command.words.find((w) => /(^|\/)torchrun$/.test(w.text) || w.text === 'torch.distributed.run');
    if (program) fixes.push({ title: `Start ${allocation.perNode} processes (--nproc_per_node=${allocation.perNode})`, preferred: false, edits: [{ range: lines.range(program.end, program.end), newText: ` --nproc_per_node=${allocation.perNode}` }] });
  }
  const configFix = processCountFix(allocation, launch, linked);
  if (configFix) fixes.push(configFix);
  const reduce = setGpuCount(lines, allocation.directive, perNode);
  if (reduce) fixes.push({ title: `Request ${perNode} GPU${perNode === 1 ? '' : 's'} per node instead`, preferred: false, edits: [reduce] });
  const launchEnd = launch.entry ?? launch.countWord ?? launch.command.words[launch.command.words.length - 1]!;
  return {
    range: lines.range(allocation.directive.span.start, allocation.directive.span.end),
    message,
    fixes,
    related: [
      { range: lines.range(launch.command.start, Math.max(launchEnd.end, launch.countWord?.end ?? 0)), message: `${what} here` },
      ...(linked?.processSource ? [{ uri: fileUri(linked.processSource.path), range: linked.processSource.range, message: `the process count comes from ${linked.processSource.text} here` }] : []),
      ...(devices ? [{ uri: devices.uri, range: devices.range, message: `Lightning's ${devices.text}: one device per SLURM task` }] : []),
      ...(plainPython && entry && !devices ? [{ uri: fileUri(entry.path), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message: `${entryName}: one process, one GPU` }] : []),
    ],
    uncertain: plainPython && !entry,
  };
}

/**
 * `accelerate launch` without --num_processes takes the count from its config: the fix raises `num_processes` there
 * (GPUs per node × num_machines), a WorkspaceEdit on the config's URI.
 */
function processCountFix(allocation: GpuAllocation, launch: Launch, linked: JobLaunch | undefined): Fix | undefined {
  const source = linked?.processSource;
  if (launch.launcher !== 'accelerate' || launch.countWord || !source) return undefined;
  const config = linked.configs.find((c) => c.path === source.path);
  if (!config || config.file.format === 'shell' || config.byName) return undefined;
  const accelerate = config.file.configs.find((c) => c.kinds.has('accelerate'));
  const value = accelerate ? entryOf(accelerate.root, 'num_processes')?.value : undefined;
  if (!accelerate || value?.type !== 'scalar') return undefined;
  const machines = numberOf(scalarAt(accelerate.root, 'num_machines')) ?? 1;
  const total = allocation.perNode * Math.max(1, machines);
  const edit = config.file.editor.setScalar(value, typeof value.value === 'string' ? String(total) : total);
  return { title: `Set num_processes: ${total} in ${path.basename(config.path)}`, preferred: false, edits: [], otherFiles: [otherFileEdits(config.path, config.file.lines, [edit])] };
}

function launchDescription(launch: Launch, perNode: number): string {
  const processes = `${perNode} process${perNode === 1 ? '' : 'es'}`;
  switch (launch.launcher) {
    case 'torchrun':
      return launch.defaulted ? `torchrun starts ${processes} per node (its default without --nproc_per_node)` : `torchrun starts ${processes} per node`;
    case 'accelerate':
      return `accelerate launch starts ${processes} per node`;
    case 'deepspeed':
      return `deepspeed starts ${processes} per node`;
    default:
      return `${launch.underSrun ? 'srun' : 'python'} starts ${processes}${launch.underSrun ? ' per node' : ''} of ${launch.entry?.text ?? 'the script'}`;
  }
}

/** Kubeflow PyTorchJob: each pod requests `nvidia.com/gpu: G` but its container starts fewer processes. */
function pytorchJobFindings(context: ConfigContext, config: TrainingConfig, editor: ConfigEditor): ConfigRuleFinding[] {
  const job = pytorchJobOf(config);
  if (!job) return [];
  const findings: ConfigRuleFinding[] = [];
  for (const replica of job.replicas) {
    if (typeof replica.processes !== 'number' || replica.processes >= replica.gpusPerPod) continue;
    const idle = (replica.gpusPerPod - replica.processes) * replica.replicas;
    const plainPython = replica.launcher === 'python';
    const pods = replica.replicas === 1 ? 'its pod' : `each of its ${replica.replicas} pods`;
    const starts = plainPython ? 'a plain python process' : `torchrun with ${replica.processes} process${replica.processes === 1 ? '' : 'es'}`;
    const message = [
      `This PyTorchJob's ${replica.role} requests ${replica.gpusPerPod} GPUs per pod (nvidia.com/gpu) but ${pods} starts ${starts}: ${idle} GPU${idle === 1 ? ' stays' : 's stay'} idle for the whole job${plainPython ? ', unless the script spreads over all GPUs itself (nn.DataParallel, device_map)' : ''}.`,
      idleGpuCost(idle, { type: undefined, hours: job.hours }, context.settings, 'activeDeadlineSeconds'),
    ].join(' ');
    const value = replica.gpuEntry.value;
    const fixes: Fix[] = value?.type === 'scalar' ? [{ title: `Request ${replica.processes} GPU${replica.processes === 1 ? '' : 's'} per pod instead`, preferred: false, edits: [editor.setScalar(value, typeof value.value === 'string' ? String(replica.processes) : replica.processes)] }] : [];
    const command = replica.commandEntry;
    findings.push({
      range: context.lines.range(replica.gpuEntry.keySpan.start, replica.gpuEntry.span.end),
      message,
      fixes,
      related: command ? [{ range: context.lines.range(command.keySpan.start, command.span.end), message: `${starts} per pod` }] : [],
      uncertain: plainPython,
    });
  }
  return findings;
}
