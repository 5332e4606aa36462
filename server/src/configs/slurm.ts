/**
 * SLURM batch scripts and launcher shell scripts: `#SBATCH` directives (only those before the first command,
 * as sbatch reads them), the job's GPU allocation and time limit, and the launch commands (`srun`, `torchrun`,
 * `python -m torch.distributed.run`, `accelerate launch`, `deepspeed`, `python script.py`) with the number of
 * processes each starts per node and any flag or environment that runs it on the CPU.
 */
import { programOf, tokenizeShell, type Command, type ShellScript, type Word } from './shell';
import type { Span } from './tree';

export interface Directive {
  /** Long option name without dashes (`gres`, `gpus-per-node`, `time`). */
  name: string;
  value: string | undefined;
  /** The option as written, with its value. */
  span: Span;
  valueSpan: Span | undefined;
}

export interface JobScript {
  shell: ShellScript;
  directives: Directive[];
  launches: Launch[];
}

export interface GpuAllocation {
  /** GPUs on each node of the job. */
  perNode: number;
  nodes: number;
  /** `a100` from `--gres=gpu:a100:4`, when given. */
  type: string | undefined;
  /** The directive that allocates them (the finding's anchor). */
  directive: Directive;
  /** The wall-clock limit in hours (`--time`), when given. */
  hours: number | undefined;
  timeDirective: Directive | undefined;
  /** Tasks per node as sbatch sets them (srun starts this many copies of its program per node). */
  tasksPerNode: number;
}

export type LauncherKind = 'torchrun' | 'accelerate' | 'deepspeed' | 'python';

export interface Launch {
  command: Command;
  launcher: LauncherKind;
  /** Processes this launch starts on each node it runs on; 'all' when it starts one per visible GPU; null when unknown. */
  perNode: number | 'all' | null;
  /** The word giving the process count (`--nproc_per_node=2`, its value), when written. */
  countWord: Word | undefined;
  /** The process count is the launcher's default (torchrun: 1; plain python: 1). */
  defaulted: boolean;
  /** Started through `srun` (one copy per task on every node of the job). */
  underSrun: boolean;
  /** srun's own `--ntasks-per-node` (null when its options make the count unknown; undefined when not given). */
  srunCopiesPerNode: number | null | undefined;
  /** The entry script or module, when literal. */
  entry: Word | undefined;
  /** Flags or environment that run the launch on the CPU. */
  cpuEvidence: { word: Word; what: string }[];
}

const SHORT_OPTIONS: Record<string, string> = {
  N: 'nodes', n: 'ntasks', G: 'gpus', t: 'time', c: 'cpus-per-task', D: 'chdir', J: 'job-name', p: 'partition', o: 'output', e: 'error',
  A: 'account', q: 'qos', C: 'constraint', w: 'nodelist', x: 'exclude', a: 'array', d: 'dependency', M: 'clusters', L: 'licenses',
};
const FLAG_OPTIONS = new Set(['exclusive', 'requeue', 'no-requeue', 'hold', 'overcommit', 'contiguous', 'test-only', 'parsable', 'quiet', 'verbose', 'spread-job', 'use-min-nodes', 'ignore-pbs', 'wait', 'O', 'Q', 'v', 'H', 'W', 'h', 'help', 'usage']);

export function parseJobScript(text: string): JobScript {
  const shell = tokenizeShell(text);
  const firstCommand = shell.commands[0]?.start ?? Infinity;
  const directives: Directive[] = [];
  for (const comment of shell.comments) {
    if (comment.start >= firstCommand) break;
    if (!comment.text.startsWith('#SBATCH')) continue;
    const lineStart = text.lastIndexOf('\n', comment.start - 1) + 1;
    if (lineStart !== comment.start) continue; // sbatch reads directives at the start of a line only
    directives.push(...directivesOf(comment.text, comment.start));
  }
  return { shell, directives, launches: launchesOf(shell) };
}

/** Options of one `#SBATCH` line; text after ` #` is a comment. */
function directivesOf(line: string, offset: number): Directive[] {
  const body = line.slice('#SBATCH'.length);
  const cut = body.search(/\s#/);
  const options = cut === -1 ? body : body.slice(0, cut);
  const words: { text: string; start: number }[] = [];
  for (const match of options.matchAll(/"[^"]*"|'[^']*'|\S+/g)) words.push({ text: match[0], start: offset + 7 + match.index });
  const directives: Directive[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let name: string | undefined;
    let value: string | undefined;
    let valueStart: number | undefined;
    let end = word.start + word.text.length;
    const long = /^--([A-Za-z][\w-]*)(?:=(.*))?$/.exec(word.text);
    const short = /^-([A-Za-z])(.*)$/.exec(word.text);
    if (long) {
      name = long[1]!;
      if (long[2] !== undefined) {
        value = long[2];
        valueStart = word.start + name.length + 3;
      }
    } else if (short) {
      name = SHORT_OPTIONS[short[1]!] ?? short[1]!;
      if (short[2]) {
        value = short[2].replace(/^=/, '');
        valueStart = word.start + word.text.length - value.length;
      }
    } else {
      continue;
    }
    if (value === undefined && !FLAG_OPTIONS.has(name) && !FLAG_OPTIONS.has(short?.[1] ?? '') && words[i + 1] && !words[i + 1]!.text.startsWith('-')) {
      const next = words[++i]!;
      value = next.text;
      valueStart = next.start;
      end = next.start + next.text.length;
    }
    if (value !== undefined && /^(['"]).*\1$/.test(value)) {
      value = value.slice(1, -1);
      valueStart = valueStart! + 1;
    }
    directives.push({ name, value, span: { start: word.start, end }, valueSpan: valueStart === undefined || value === undefined ? undefined : { start: valueStart, end: valueStart + value.length } });
  }
  return directives;
}

/** The last value of a directive (later lines override earlier ones, as in sbatch). */
export function directive(script: JobScript, ...names: string[]): Directive | undefined {
  for (let i = script.directives.length - 1; i >= 0; i--) if (names.includes(script.directives[i]!.name)) return script.directives[i];
  return undefined;
}

function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** `[type:]count` as in `--gpus-per-node=a100:4`. */
function typedCount(value: string | undefined): { count: number; type: string | undefined } | undefined {
  if (!value) return undefined;
  const parts = value.trim().split(':');
  const count = wholeNumber(parts[parts.length - 1]);
  if (count === undefined) return undefined;
  return { count, type: parts.length > 1 ? parts[0] : undefined };
}

/** GPUs per node from a `--gres` list: `gpu:4`, `gpu:a100:4`, `gpu`, `gpu:a100:2(S:0),mps:100`. */
export function gresGpus(value: string | undefined): { count: number; type: string | undefined } | undefined {
  if (!value) return undefined;
  let found: { count: number; type: string | undefined } | undefined;
  for (const item of value.split(/,(?![^(]*\))/)) {
    const parts = item.replace(/\(.*\)$/, '').trim().split(':');
    if (parts[0] !== 'gpu') continue;
    const last = parts[parts.length - 1];
    const count = parts.length === 1 ? 1 : wholeNumber(last);
    if (count === undefined) {
      if (parts.length === 2) found = { count: 1, type: parts[1] };
      continue;
    }
    found = { count: (found?.count ?? 0) + count, type: parts.length === 3 ? parts[1] : found?.type };
  }
  return found;
}

/** sbatch `--time` formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S. */
export function timeLimitHours(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value.trim());
  if (!match) return undefined;
  const [, days, a, b, c] = match;
  const d = Number(days ?? 0);
  let hours: number;
  if (days !== undefined) hours = Number(a) + Number(b ?? 0) / 60 + Number(c ?? 0) / 3600;
  else if (c !== undefined) hours = Number(a) + Number(b) / 60 + Number(c) / 3600;
  else hours = Number(a) / 60 + Number(b ?? 0) / 3600;
  const total = d * 24 + hours;
  return total > 0 ? total : undefined;
}

export function gpuAllocation(script: JobScript): GpuAllocation | undefined {
  const nodesDirective = directive(script, 'nodes');
  const nodes = Math.max(1, wholeNumber(nodesDirective?.value?.split('-')[0]) ?? 1);
  const ntasks = wholeNumber(directive(script, 'ntasks')?.value);
  const tasksPerNode = wholeNumber(directive(script, 'ntasks-per-node')?.value) ?? (ntasks !== undefined ? Math.max(1, Math.floor(ntasks / nodes)) : 1);
  const time = directive(script, 'time');
  const common = { nodes, hours: timeLimitHours(time?.value), timeDirective: time, tasksPerNode };
  const perNodeDirective = directive(script, 'gpus-per-node');
  const perNode = typedCount(perNodeDirective?.value);
  if (perNodeDirective && perNode) return { ...common, perNode: perNode.count, type: perNode.type, directive: perNodeDirective };
  const gres = directive(script, 'gres');
  const fromGres = gresGpus(gres?.value);
  if (gres && fromGres) return { ...common, perNode: fromGres.count, type: fromGres.type, directive: gres };
  const perTaskDirective = directive(script, 'gpus-per-task');
  const perTask = typedCount(perTaskDirective?.value);
  if (perTaskDirective && perTask) return { ...common, perNode: perTask.count * tasksPerNode, type: perTask.type, directive: perTaskDirective };
  const totalDirective = directive(script, 'gpus');
  const total = typedCount(totalDirective?.value);
  if (totalDirective && total) return { ...common, perNode: Math.ceil(total.count / nodes), type: total.type, directive: totalDirective };
  return undefined;
}

// --- Launch commands --------------------------------------------------------------------------------

const SRUN_FLAGS = new Set(['-l', '--label', '-u', '--unbuffered', '-Q', '--quiet', '-v', '--verbose', '-K', '--kill-on-bad-exit', '--exclusive', '--overlap', '--pty', '-X', '--disable-status', '--multi-prog', '--overcommit', '-O']);
const TORCHRUN_FLAGS = new Set(['--standalone', '--no_python', '--no-python', '-m', '--module', '--run_path', '--run-path']);
const ACCELERATE_FLAGS = new Set(['--multi_gpu', '--cpu', '--tpu', '--use_deepspeed', '--use_fsdp', '--use_megatron_lm', '--use_xpu', '--debug', '-m', '--module', '--no_python', '-q', '--quiet', '--same_network', '--dynamo_use_fullgraph', '--dynamo_use_dynamic', '--enable_cpu_affinity', '--main_training_function']);
const DEEPSPEED_FLAGS = new Set(['--no_ssh', '--no_python', '--module', '--no_local_rank', '--force_multi', '--autotuning', '--elastic_training', '--bind_cores_to_rank', '--enable_each_rank_log', '--save_pid', '--no_ssh_check']);
const PYTHON_OPTIONS_WITH_VALUE = new Set(['-W', '-X', '-Q']);
const CONTAINER_OPTIONS_WITH_VALUE = new Set(['-B', '--bind', '--env', '--env-file', '--pwd', '-W', '--workdir', '-H', '--home', '--overlay', '--mount']);

function launchesOf(shell: ShellScript): Launch[] {
  const launches: Launch[] = [];
  let hiddenGpus: Word | undefined;
  for (const command of shell.commands) {
    const { assignments, program } = programOf(command);
    if (program[0]?.text === 'export' || program.length === 0) {
      for (const word of program[0]?.text === 'export' ? program.slice(1) : assignments) {
        if (word.text.startsWith('CUDA_VISIBLE_DEVICES=')) hiddenGpus = hidesGpus(word) ? word : undefined;
      }
      continue;
    }
    if (program[0]?.text === 'unset' && program.some((w) => w.text === 'CUDA_VISIBLE_DEVICES')) hiddenGpus = undefined;
    const launch = launchOf(command, program);
    if (!launch) continue;
    const local = assignments.find((w) => w.text.startsWith('CUDA_VISIBLE_DEVICES='));
    const hidden = local ? (hidesGpus(local) ? local : undefined) : hiddenGpus;
    if (hidden) launch.cpuEvidence.unshift({ word: hidden, what: `${hidden.text.replace(/=$/, '=""')} hides every GPU` });
    launches.push(launch);
  }
  return launches;
}

function hidesGpus(word: Word): boolean {
  const value = word.text.slice('CUDA_VISIBLE_DEVICES='.length).trim();
  return !word.dynamic && (value === '' || value === '-1' || value === 'none' || value === 'NoDevFiles');
}

function launchOf(command: Command, words: Word[]): Launch | undefined {
  let rest = words;
  let srunCopiesPerNode: number | null | undefined;
  let underSrun = false;
  for (;;) {
    const head = rest[0]?.text;
    if (head === 'srun') {
      const { copies, after } = srunOptions(rest.slice(1));
      srunCopiesPerNode = copies;
      underSrun = true;
      rest = after;
    } else if (head === 'env') {
      let j = 1;
      while (rest[j] && (/^[A-Za-z_]\w*=/.test(rest[j]!.text) || rest[j]!.text.startsWith('-'))) j++;
      rest = rest.slice(j);
    } else if (head === 'singularity' || head === 'apptainer') {
      rest = skipOptions(rest.slice(2), CONTAINER_OPTIONS_WITH_VALUE).slice(1); // exec|run, options, the image
    } else if ((head === 'conda' || head === 'uv' || head === 'poetry' || head === 'pixi') && rest[1]?.text === 'run') {
      rest = skipOptions(rest.slice(2), new Set(['-n', '--name', '-p', '--prefix', '--with', '--python', '-e', '--environment']));
    } else break;
  }
  const program = rest[0];
  if (!program || program.dynamic) return undefined;
  const name = program.text.split('/').pop()!;
  const base = { command, underSrun, srunCopiesPerNode, cpuEvidence: [] as Launch['cpuEvidence'] };
  if (name === 'torchrun') return torchrunLaunch(base, rest.slice(1));
  if (name === 'accelerate' && rest[1]?.text === 'launch') return accelerateLaunch(base, rest.slice(2));
  if (name === 'deepspeed') return deepspeedLaunch(base, rest.slice(1));
  if (/^python(\d+(\.\d+)?)?$/.test(name)) {
    const args = skipOptions(rest.slice(1), PYTHON_OPTIONS_WITH_VALUE, ['-m', '-c']);
    const first = args[0];
    if (!first || first.text === '-c' || first.text === '-') return undefined;
    if (first.text === '-m') {
      const module = args[1];
      if (!module) return undefined;
      if (module.text === 'torch.distributed.run' || module.text === 'torch.distributed.launch') return torchrunLaunch(base, args.slice(2));
      if (module.text === 'accelerate.commands.launch') return accelerateLaunch(base, args.slice(2));
      return { ...base, launcher: 'python', perNode: 1, countWord: undefined, defaulted: true, entry: module, cpuEvidence: cpuFlags(args.slice(2)) };
    }
    if (!/\.py$/.test(first.text) && !first.dynamic) return undefined;
    return { ...base, launcher: 'python', perNode: 1, countWord: undefined, defaulted: true, entry: first, cpuEvidence: cpuFlags(args.slice(1)) };
  }
  return undefined;
}

/** srun's own options; the number of copies it starts per node when they say (null when they make it unknown). */
function srunOptions(words: Word[]): { copies: number | null | undefined; after: Word[] } {
  let copies: number | null | undefined;
  let i = 0;
  for (; i < words.length; i++) {
    const text = words[i]!.text;
    if (!text.startsWith('-')) break;
    let option: string;
    let value: string | undefined;
    if (text.startsWith('--')) {
      [option, value] = splitOption(text);
      if (value === undefined && !SRUN_FLAGS.has(option)) value = words[++i]?.text;
    } else {
      option = text.slice(0, 2);
      if (text.length > 2) value = text.slice(2).replace(/^=/, '');
      else if (!SRUN_FLAGS.has(option)) value = words[++i]?.text;
    }
    if (option === '--ntasks-per-node') copies = wholeNumber(value) ?? null;
    else if ((option === '-n' || option === '--ntasks') && copies === undefined) copies = null; // total tasks spread over the nodes
  }
  return { copies, after: words.slice(i) };
}

function splitOption(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return eq === -1 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

/** Skips leading options (and the values of those in `withValue`); stops at the first operand or one of `stopAt`. */
function skipOptions(words: Word[], withValue: Set<string>, stopAt: string[] = []): Word[] {
  let i = 0;
  while (i < words.length) {
    const text = words[i]!.text;
    if (!text.startsWith('-') || stopAt.includes(text) || text === '-') break;
    const [option, inline] = splitOption(text);
    i += inline === undefined && withValue.has(option) ? 2 : 1;
  }
  return words.slice(i);
}

/** Launcher options up to the entry script: a map of option → value word, and the words from the entry on. */
function launcherOptions(words: Word[], flags: Set<string>): { options: Map<string, { word: Word; value: Word | undefined }>; rest: Word[] } {
  const options = new Map<string, { word: Word; value: Word | undefined }>();
  let i = 0;
  while (i < words.length) {
    const word = words[i]!;
    if (!word.text.startsWith('-') || word.text === '-') break;
    const [option, inline] = splitOption(word.text);
    const key = option.replace(/-/g, '_').replace(/^__?/, '--');
    if (inline !== undefined) {
      const start = word.end - inline.length;
      options.set(key, { word, value: { text: inline, start, end: word.end, dynamic: word.dynamic } });
      i++;
    } else if (flags.has(option)) {
      options.set(key, { word, value: undefined });
      i++;
      if (option === '-m' || option === '--module') break;
    } else {
      options.set(key, { word, value: words[i + 1] });
      i += 2;
    }
  }
  return { options, rest: words.slice(i) };
}

type LaunchBase = Pick<Launch, 'command' | 'underSrun' | 'srunCopiesPerNode' | 'cpuEvidence'>;

function torchrunLaunch(base: LaunchBase, words: Word[]): Launch {
  const { options, rest } = launcherOptions(words, TORCHRUN_FLAGS);
  const nproc = options.get('--nproc_per_node');
  const count = countOf(nproc?.value);
  return { ...base, launcher: 'torchrun', perNode: nproc ? count : 1, countWord: nproc?.value, defaulted: !nproc, entry: rest[0], cpuEvidence: [...base.cpuEvidence, ...cpuFlags(rest.slice(1))] };
}

function accelerateLaunch(base: LaunchBase, words: Word[]): Launch {
  const { options, rest } = launcherOptions(words, ACCELERATE_FLAGS);
  const processes = options.get('--num_processes');
  const machines = options.get('--num_machines');
  const machineCount = machines ? wholeNumber(machines.value?.text) : 1;
  const total = processes ? countOf(processes.value) : null;
  const perNode = typeof total === 'number' && machineCount ? Math.ceil(total / machineCount) : total;
  const cpu = options.get('--cpu');
  const evidence = [...base.cpuEvidence, ...(cpu ? [{ word: cpu.word, what: 'accelerate launch --cpu runs on the CPU' }] : []), ...cpuFlags(rest.slice(1))];
  return { ...base, launcher: 'accelerate', perNode: perNode ?? null, countWord: processes?.value, defaulted: false, entry: rest[0], cpuEvidence: evidence };
}

function deepspeedLaunch(base: LaunchBase, words: Word[]): Launch {
  const { options, rest } = launcherOptions(words, DEEPSPEED_FLAGS);
  const gpus = options.get('--num_gpus');
  const restricted = options.has('--include') || options.has('--exclude') || options.has('--hostfile') || options.has('-H') || options.has('-i') || options.has('-e');
  const perNode = gpus ? countOf(gpus.value) : restricted ? null : 'all';
  return { ...base, launcher: 'deepspeed', perNode, countWord: gpus?.value, defaulted: false, entry: rest[0], cpuEvidence: [...base.cpuEvidence, ...cpuFlags(rest.slice(1))] };
}

function countOf(word: Word | undefined): number | 'all' | null {
  if (!word || word.dynamic) return null;
  if (word.text === 'gpu' || word.text === 'auto') return 'all';
  return wholeNumber(word.text) ?? null;
}

const FALSE = /^(false|False|FALSE|0|no)$/;

/** Arguments of the training script that put it on the CPU: `--use_cpu`, `--no_cuda`, `--cpu`, `--device cpu`, `trainer.accelerator=cpu`. */
function cpuFlags(args: Word[]): Launch['cpuEvidence'] {
  const found: Launch['cpuEvidence'] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word.dynamic) continue;
    const [option, inline] = splitOption(word.text);
    const next = args[i + 1];
    const value = inline ?? (next && !next.text.startsWith('-') ? next.text : undefined);
    const normalized = option.replace(/-/g, '_');
    if (['__use_cpu', '__no_cuda', '__cpu', '__cpu_only', '__no_gpu'].includes(normalized)) {
      if (value !== undefined && FALSE.test(value)) continue;
      found.push({ word, what: `${option} runs the script on the CPU` });
    } else if ((normalized === '__device' || normalized === '__accelerator') && value === 'cpu') {
      found.push({ word, what: `${option} ${value} runs the script on the CPU` });
    } else if (/^(\+{0,2}trainer\.accelerator|trainer)=cpu$/.test(word.text)) {
      found.push({ word, what: `${word.text} runs the trainer on the CPU` });
    }
  }
  return found;
}

/** Whether the text looks like a batch script: an `#SBATCH` directive at the start of a line. */
export function hasSbatchDirectives(text: string): boolean {
  return text.startsWith('#SBATCH') || text.includes('\n#SBATCH');
}
