/**
 * The job graph (rule catalogue §4): a SLURM batch script, or a launcher shell script that starts a Python entry
 * point (`run_local.sh`: a job without an allocation), → its launch commands (`srun`, `torchrun`, `accelerate
 * launch`, `deepspeed`, `python`) → the entry script → the configs the launch line and the script reference
 * (`--config_file`, `--deepspeed ds.json`, any literal `.yaml`/`.json` argument, Hydra `--config-name`/`--config-path`
 * and `@hydra.main`, `HfArgumentParser.parse_json_file`, an Accelerate config's `deepspeed_config_file`, a
 * TrainingArguments file's `deepspeed:`). Paths resolve against the launch's working directory (`#SBATCH --chdir`, a
 * literal `cd`), the scheduler's directory and the workspace roots (where a cluster would run it: the batch script's
 * directory or the submit directory); a path that resolves nowhere is left out (the rules
 * then stay as uncertain as without the graph). Files are read through a FileReader so that the server (open buffers
 * first) and the CLI (disk) build the same graph. A Hydra app's launch also gets its composed config (hydra.ts): the
 * selected group options become configs of the launch, and a group option that does not exist yet is a missing file
 * (creating it rebuilds the job).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Range } from 'vscode-languageserver-types';
import { configFormatOf, readConfigFile, type ConfigFile } from '../configs/configFile';
import { LineIndex } from '../configs/positions';
import { programOf, type Word } from '../configs/shell';
import { directive, gpuAllocation, hasSbatchDirectives, parseJobScript, type GpuAllocation, type JobScript, type Launch } from '../configs/slurm';
import { entryOf, mapAt, numberOf, scalarAt, stringOf, type ConfigEntry } from '../configs/tree';
import { composeHydra, type HydraComposition } from './hydra';
import { pythonFacts, type PythonFacts } from './pythonFacts';
import type { FileReader } from './reader';

/** A place in some file of the job, for related information. */
export interface JobLocation {
  path: string;
  range: Range;
}

export interface ResolvedConfig {
  path: string;
  /** Matched by file name under a workspace root (an absolute cluster path that does not exist here): less certain. */
  byName: boolean;
  file: ConfigFile;
  /** Where the job references it (the launch word, the script line, the config key). */
  from: JobLocation;
}

export interface EntryScript {
  path: string;
  /** As for configs: found by file name, not by its path. */
  byName: boolean;
  facts: PythonFacts;
}

export interface JobLaunch {
  launch: Launch;
  /** The directory the launch runs in. */
  cwd: string;
  entry: EntryScript | undefined;
  configs: ResolvedConfig[];
  /** Hydra-style `key=value` overrides after the entry script. */
  overrides: Word[];
  /** Processes started per node: the launcher's count, or an Accelerate config's num_processes; 'all' = one per visible GPU. */
  processesPerNode: number | 'all' | null;
  /** Where that count is written when it comes from another file (an Accelerate config). */
  processSource: (JobLocation & { text: string }) | undefined;
  /** Nodes the launch runs on (srun: the job's nodes; torchrun --nnodes). */
  nodes: number;
  /** A Hydra app's effective config (jobs/hydra.ts): the primary, its selected defaults and the launch's overrides. */
  hydra: HydraComposition | undefined;
}

export interface Job {
  path: string;
  uri: string;
  /**
   * `batch`: a SLURM batch script (`#SBATCH`); `launcher`: a plain shell script whose lines launch a Python entry
   * point. A launcher says nothing about the resources the run gets (no allocation), only how it is launched.
   */
  kind: 'batch' | 'launcher';
  lines: LineIndex;
  script: JobScript;
  allocation: GpuAllocation | undefined;
  launches: JobLaunch[];
  /** Every file of the job, the scheduler included. */
  files: Set<string>;
  /** Paths the job names that do not exist (yet): creating one of them rebuilds the job. */
  missing: Set<string>;
}

/** A config or script as one job uses it. */
export interface JobUse {
  job: Job;
  launch: JobLaunch;
  /** The config as resolved in that launch (undefined when the file is the entry script). */
  config: ResolvedConfig | undefined;
}

/** A Hydra app some launch composes whose config tree holds the file (jobs/hydra.ts). */
export interface HydraAppUse {
  job: Job;
  launch: JobLaunch;
  composition: HydraComposition;
}

/** What the job graph says about one file: the job it schedules, and the jobs that use it. */
export interface JobView {
  scheduled: Job | undefined;
  uses: JobUse[];
  /**
   * The Hydra apps whose config tree holds this file, whether or not their compositions select it: a group option
   * that no composition selects is not what those runs use (absent: none, or no graph).
   */
  apps?: HydraAppUse[];
}

export const NO_JOBS: JobView = { scheduled: undefined, uses: [], apps: [] };

export function fileUri(filePath: string): string {
  return pathToFileURL(filePath).href;
}

const CONFIG_EXTENSION = /\.(ya?ml|json|jsonc)$/i;
/** File names a batch script may have (the content decides: `#SBATCH` directives). */
export const SCHEDULER_FILE = /\.(sbatch|slurm|sh|bash)$/i;
const MAX_CONFIGS_PER_LAUNCH = 16;

/** Launcher words whose presence makes a script without `#SBATCH` worth parsing as a launcher (cheap pre-filter). */
const LAUNCH_WORD = /(^|[\s/;&|(])(python[\d.]*|torchrun|accelerate|deepspeed)(\s|$)/m;
/** Entry scripts that install or package, not train: a script that only runs them sets up an environment. */
const SETUP_ENTRY = /(^|\/)(setup|conftest)\.py$/;

/** Whether a shell text may describe a job: `#SBATCH` directives, or a line that may launch Python (buildJob decides). */
export function mayBeJob(text: string): boolean {
  return hasSbatchDirectives(text) || LAUNCH_WORD.test(text);
}

/**
 * Builds the job of a SLURM batch script, or of a launcher script (no `#SBATCH`) with a launch of a Python entry
 * script found in the workspace; undefined for any other text (environment set-up: `pip install`, `module load`,
 * `python -m pip`, `python setup.py`).
 */
export function buildJob(schedulerPath: string, text: string, reader: FileReader, roots: readonly string[]): Job | undefined {
  const kind = hasSbatchDirectives(text) ? 'batch' : 'launcher';
  if (kind === 'launcher' && !LAUNCH_WORD.test(text)) return undefined;
  const script = parseJobScript(text);
  if (kind === 'launcher' && script.launches.length === 0) return undefined;
  const lines = new LineIndex(text);
  // A launcher runs inside whatever the caller holds: it allocates nothing (GA701–GA703 have nothing to judge).
  const allocation = kind === 'batch' ? gpuAllocation(script) : undefined;
  const files = new Set<string>([schedulerPath]);
  const missing = new Set<string>();
  const baseDir = directoryOf(schedulerPath, kind === 'batch' ? directive(script, 'chdir')?.value : undefined);
  // An absolute cluster path is matched by name under the script's own directory first, then the workspace roots.
  const nameRoots = [...new Set([path.dirname(schedulerPath), ...roots])];
  const launches = script.launches.map((launch) => {
    const cwd = workingDirectory(script, launch, baseDir);
    const resolver = new Resolver(reader, [cwd, path.dirname(schedulerPath), ...roots], missing, nameRoots);
    return buildLaunch(schedulerPath, lines, launch, cwd, resolver, allocation);
  });
  const kept = kind === 'batch' ? launches : launches.filter((launch) => launch.entry && !SETUP_ENTRY.test(launch.entry.path));
  if (kept.length === 0) return undefined;
  for (const built of kept) {
    for (const file of built.hydra?.files ?? []) files.add(file.path);
    for (const config of built.configs) files.add(config.path);
    if (built.entry) files.add(built.entry.path);
  }
  for (const file of files) missing.delete(file);
  return { path: schedulerPath, uri: fileUri(schedulerPath), kind, lines, script, allocation, launches: kept, files, missing };
}

function directoryOf(schedulerPath: string, chdir: string | undefined): string {
  const dir = path.dirname(schedulerPath);
  if (!chdir || /[$`]/.test(chdir)) return dir;
  return path.resolve(dir, chdir);
}

/** The directory after the last literal `cd` before the launch (a `cd` with an expansion makes it unknown: the script's). */
function workingDirectory(script: JobScript, launch: Launch, base: string): string {
  let cwd = base;
  for (const command of script.shell.commands) {
    if (command.start >= launch.command.start) break;
    const { program } = programOf(command);
    if (program[0]?.text !== 'cd') continue;
    const target = program[1];
    cwd = !target || target.dynamic || target.text.startsWith('~') ? base : path.resolve(cwd, target.text);
  }
  return cwd;
}

class Resolver {
  private readonly texts = new Map<string, string | undefined>();
  constructor(
    private readonly reader: FileReader,
    private readonly dirs: readonly string[],
    private readonly missing: Set<string>,
    private readonly roots: readonly string[],
  ) {}

  /**
   * The first existing file for a literal path, relative to `first` (if given) and then the launch's directories. An
   * absolute path that does not exist here (`/shared/project/src/train.py` on the cluster) is matched by its last
   * path segments under the workspace roots (`<root>/src/train.py`, then `<root>/train.py`), flagged `byName`.
   */
  resolve(relative: string, first?: string): { path: string; text: string; byName: boolean } | undefined {
    const candidates = path.isAbsolute(relative) ? [relative] : [...(first ? [first] : []), ...this.dirs].map((dir) => path.resolve(dir, relative));
    for (const candidate of candidates) {
      const text = this.read(candidate);
      if (text !== undefined) return { path: candidate, text, byName: false };
    }
    for (const candidate of candidates) this.missing.add(candidate);
    if (!path.isAbsolute(relative)) return undefined;
    const segments = relative.split('/').filter(Boolean);
    for (let keep = Math.min(3, segments.length); keep >= 1; keep--) {
      for (const root of this.roots) {
        const candidate = path.join(root, ...segments.slice(-keep));
        const text = this.read(candidate);
        if (text !== undefined) return { path: candidate, text, byName: true };
      }
    }
    return undefined;
  }

  /** An exact absolute path (a Hydra group option): its text, or undefined, recorded as missing so that creating it rebuilds the job. */
  exact(file: string): string | undefined {
    const text = this.read(file);
    if (text === undefined) this.missing.add(file);
    return text;
  }

  private read(file: string): string | undefined {
    if (!this.texts.has(file)) this.texts.set(file, this.reader.read(file));
    return this.texts.get(file);
  }
}

function buildLaunch(schedulerPath: string, lines: LineIndex, launch: Launch, cwd: string, resolver: Resolver, allocation: GpuAllocation | undefined): JobLaunch {
  const words = launch.command.words;
  const at = (word: Word): JobLocation => ({ path: schedulerPath, range: lines.range(word.start, word.end) });
  const configs: ResolvedConfig[] = [];
  const seen = new Set<string>();
  const addConfig = (relative: string, from: JobLocation, first?: string): { path: string; text: string; byName: boolean } | undefined => {
    if (configs.length >= MAX_CONFIGS_PER_LAUNCH) return undefined;
    const found = resolver.resolve(relative, first);
    if (!found || seen.has(found.path)) return undefined;
    const format = configFormatOf(undefined, found.path);
    if (format !== 'yaml' && format !== 'json') return undefined;
    seen.add(found.path);
    configs.push({ path: found.path, byName: found.byName, file: readConfigFile(found.text, format), from });
    return found;
  };
  let hydraComposition: HydraComposition | undefined;

  // Literal config paths anywhere on the launch line: launcher options and script arguments alike.
  const entryIndex = launch.entry ? words.findIndex((w) => w.start === launch.entry!.start) : -1;
  const overrides: Word[] = [];
  let hydraName: Word | undefined;
  let hydraPath: Word | undefined;
  words.forEach((word, index) => {
    if (word.dynamic) return;
    const [option, inline] = word.text.startsWith('-') && word.text.includes('=') ? [word.text.slice(0, word.text.indexOf('=')), word.text.slice(word.text.indexOf('=') + 1)] : [word.text, undefined];
    const value = inline ?? option;
    if (option === '--config-name' || option === '--config_name' || option === '-cn') hydraName = inline !== undefined ? word : words[index + 1];
    else if (option === '--config-path' || option === '--config_path' || option === '-cp') hydraPath = inline !== undefined ? word : words[index + 1];
    if (CONFIG_EXTENSION.test(value)) addConfig(value, at(word));
    else if (entryIndex !== -1 && index > entryIndex && /^\+{0,2}[A-Za-z_][\w.]*=/.test(word.text)) overrides.push(word);
  });

  let entry: EntryScript | undefined;
  const entryWord = launch.entry;
  if (entryWord && !entryWord.dynamic) {
    const relative = entryWord.text.endsWith('.py') ? entryWord.text : launch.launcher === 'python' ? `${entryWord.text.replace(/\./g, '/')}.py` : undefined;
    const found = relative ? resolver.resolve(relative) : undefined;
    if (found) {
      entry = { path: found.path, byName: found.byName, facts: pythonFacts(found.text) };
      const scriptDir = path.dirname(found.path);
      const scriptLines = (range: Range): JobLocation => ({ path: found.path, range });
      for (const reference of entry.facts.configPaths) addConfig(reference.value, scriptLines(reference.range), scriptDir);
      const hydra = entry.facts.hydra;
      const name = valueOf(hydraName) ?? hydra?.configName;
      if (name) {
        const dir = valueOf(hydraPath) ?? (hydra?.configPath !== undefined ? path.resolve(scriptDir, hydra.configPath) : scriptDir);
        const from = hydraName ? at(hydraName) : scriptLines(hydra!.range);
        const primary = addConfig(name.endsWith('.yaml') ? name : `${name}.yaml`, from, path.resolve(scriptDir, dir));
        if (primary && !primary.byName) {
          const after = entryIndex === -1 ? [] : words.slice(entryIndex + 1);
          hydraComposition = composeHydra(primary.path, primary.text, after, { path: schedulerPath, text: lines.text, lines }, (file) => resolver.exact(file));
          // The selected group files are configs of the launch too (their rules, their edits rebuild the job).
          for (const file of hydraComposition.files) {
            if (seen.has(file.path) || !file.via) continue;
            seen.add(file.path);
            configs.push({ path: file.path, byName: false, file: readConfigFile(file.text, 'yaml'), from: { path: file.via.path, range: file.via.range } });
          }
        }
      }
    }
  }

  // Second level: an Accelerate config's DeepSpeed file, a TrainingArguments file's `deepspeed:`.
  for (const config of [...configs]) {
    if (config.file.format === 'shell') continue;
    for (const training of config.file.configs) {
      const nested: (ConfigEntry | undefined)[] = [
        training.kinds.has('accelerate') ? entryOf(mapAt(training.root, 'deepspeed_config'), 'deepspeed_config_file') : undefined,
        training.kinds.has('hf-training-args') ? entryOf(training.root, 'deepspeed') : undefined,
      ];
      for (const entryNode of nested) {
        const target = entryNode?.value?.type === 'scalar' ? stringOf(entryNode.value) : undefined;
        if (target && CONFIG_EXTENSION.test(target)) {
          addConfig(target, { path: config.path, range: config.file.lines.range(entryNode!.keySpan.start, entryNode!.span.end) }, path.dirname(config.path));
        }
      }
    }
  }

  let processesPerNode = launch.perNode;
  let processSource: JobLaunch['processSource'];
  if (launch.launcher === 'accelerate' && !launch.countWord) {
    for (const config of configs) {
      if (config.file.format === 'shell') continue;
      const accelerate = config.file.configs.find((c) => c.kinds.has('accelerate'));
      const entryNode = accelerate ? entryOf(accelerate.root, 'num_processes') : undefined;
      const total = entryNode?.value?.type === 'scalar' ? numberOf(entryNode.value) : undefined;
      if (!accelerate || total === undefined) continue;
      const machines = numberOf(scalarAt(accelerate.root, 'num_machines')) ?? 1;
      processesPerNode = Math.ceil(total / Math.max(1, machines));
      processSource = { path: config.path, range: config.file.lines.range(entryNode!.keySpan.start, entryNode!.span.end), text: `num_processes: ${total}` };
      break;
    }
  }
  // A plain python launch of a Lightning script: the Trainer starts one process per device itself (under srun it
  // uses the tasks SLURM started instead).
  if (launch.launcher === 'python' && !launch.underSrun && (entry?.facts.multiGpuInProcess?.value.includes('Lightning') || instantiatesLightning(hydraComposition))) {
    const devices = (hydraComposition && composedDevices(hydraComposition)) || lightningDevices(overrides, configs, schedulerPath, lines);
    if (devices) {
      processesPerNode = devices.count;
      processSource = devices.source;
    }
  }
  const nnodes = launch.launcher === 'torchrun' ? torchrunNodes(words) : undefined;
  const nodes = launch.underSrun ? allocation?.nodes ?? 1 : nnodes ?? 1;
  return { launch, cwd, entry, configs, overrides, processesPerNode, processSource, nodes, hydra: hydraComposition };
}

/** The composed config instantiates a Lightning Trainer (`trainer._target_`), which starts one process per device. */
export function instantiatesLightning(composition: HydraComposition | undefined): boolean {
  const target = composition?.values.get('trainer._target_')?.node;
  return target?.type === 'scalar' && typeof target.value === 'string' && /^(lightning(\.pytorch)?|pytorch_lightning)(\.trainer){0,2}\.Trainer$/.test(target.value);
}

/** `trainer.devices` of a Hydra job's composed config, where the effective value is set. */
function composedDevices(composition: HydraComposition): { count: number; source: NonNullable<JobLaunch['processSource']> } | undefined {
  const value = composition.values.get('trainer.devices');
  const count = value?.node?.type === 'scalar' ? numberOf(value.node) : undefined;
  if (!value || count === undefined || !Number.isInteger(count) || count <= 0) return undefined;
  return { count, source: { path: value.file.path, range: value.range, text: value.override ? value.override.text : `devices: ${count}` } };
}

/** `trainer.devices=N` on the launch line, else a literal `devices: N` of a trainer config the launch loads. */
function lightningDevices(overrides: readonly Word[], configs: readonly ResolvedConfig[], schedulerPath: string, lines: LineIndex): { count: number; source: NonNullable<JobLaunch['processSource']> } | undefined {
  for (const word of overrides) {
    const match = /^\+{0,2}trainer\.devices=(\d+)$/.exec(word.text);
    if (match) return { count: Number(match[1]), source: { path: schedulerPath, range: lines.range(word.start, word.end), text: word.text } };
  }
  for (const config of configs) {
    if (config.file.format === 'shell') continue;
    for (const training of config.file.configs) {
      const entry = training.trainer ? entryOf(training.trainer, 'devices') : undefined;
      const count = entry?.value?.type === 'scalar' ? numberOf(entry.value) : undefined;
      if (entry && count !== undefined && Number.isInteger(count) && count > 0) {
        return { count, source: { path: config.path, range: config.file.lines.range(entry.keySpan.start, entry.span.end), text: `devices: ${count}` } };
      }
    }
  }
  return undefined;
}

function valueOf(word: Word | undefined): string | undefined {
  if (!word || word.dynamic) return undefined;
  const eq = word.text.startsWith('-') ? word.text.indexOf('=') : -1;
  return eq === -1 ? word.text : word.text.slice(eq + 1);
}

function torchrunNodes(words: readonly Word[]): number | undefined {
  for (let i = 0; i < words.length; i++) {
    const text = words[i]!.text;
    const match = /^--nnodes(?:=(.*))?$/.exec(text);
    if (!match) continue;
    const value = match[1] ?? words[i + 1]?.text;
    return value && /^\d+$/.test(value) ? Number(value) : undefined;
  }
  return undefined;
}

/**
 * Total processes of a launch across its nodes, when known. Unknown for a launcher script's launch: its count is
 * multiplied by however the script itself is started (once by hand, or once per task under `srun` in a batch job),
 * which the script does not say.
 */
export function worldSize(job: Job, launch: JobLaunch): number | undefined {
  if (job.kind === 'launcher') return undefined;
  const perNode = launch.processesPerNode === 'all' ? job.allocation?.perNode : launch.processesPerNode;
  if (typeof perNode !== 'number') return undefined;
  const copies = launch.launch.underSrun ? (launch.launch.srunCopiesPerNode === undefined ? job.allocation?.tasksPerNode ?? 1 : launch.launch.srunCopiesPerNode) : 1;
  if (copies === null) return undefined;
  return perNode * copies * launch.nodes;
}

/**
 * Whether a file lies in the config tree of the Hydra app a launch composes: under its config folder. Where that
 * folder is the entry script's own directory (no `config_path`: the project tree itself), only the group folders the
 * composition draws from count, so that unrelated YAML files of the project stay outside the app.
 */
function inConfigTree(launch: JobLaunch, composition: HydraComposition, filePath: string): boolean {
  if (!/\.ya?ml$/i.test(filePath)) return false;
  const relative = path.relative(composition.configDir, filePath);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return false;
  if (!launch.entry || path.dirname(launch.entry.path) !== composition.configDir) return true;
  const group = relative.split(path.sep)[0]!;
  if (group === relative) return false; // a file beside the entry script: not a group option
  return composition.files.some((file) => path.relative(composition.configDir, file.path).split(path.sep)[0] === group && file.path !== composition.primary);
}

/**
 * The jobs of a workspace, keyed by scheduler path, with the reverse index the server needs: which jobs a changed
 * file belongs to, so that their files are analysed again.
 */
export class JobGraph {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly reader: FileReader,
    private readonly roots: () => readonly string[],
  ) {}

  /** (Re)builds the job a scheduler file describes from its text; a file that is no longer a scheduler is removed. */
  setScheduler(schedulerPath: string, text: string | undefined): void {
    const job = text === undefined ? undefined : buildJob(schedulerPath, text, this.reader, this.roots());
    if (job) this.jobs.set(schedulerPath, job);
    else this.jobs.delete(schedulerPath);
  }

  /**
   * A file changed (edited, saved, created or deleted): rebuilds every job it belongs to, and its own job if it is a
   * scheduler. Returns every file of those jobs before and after, whose findings may have changed.
   */
  fileChanged(filePath: string): Set<string> {
    const affected = new Set<string>([filePath]);
    const schedulers = new Set<string>(SCHEDULER_FILE.test(filePath) || this.jobs.has(filePath) ? [filePath] : []);
    for (const job of this.jobs.values()) if (job.files.has(filePath) || job.missing.has(filePath)) schedulers.add(job.path);
    for (const scheduler of schedulers) {
      for (const file of this.jobs.get(scheduler)?.files ?? []) affected.add(file);
      this.setScheduler(scheduler, this.reader.read(scheduler));
      for (const file of this.jobs.get(scheduler)?.files ?? []) affected.add(file);
    }
    return affected;
  }

  job(schedulerPath: string): Job | undefined {
    return this.jobs.get(schedulerPath);
  }

  all(): Job[] {
    return [...this.jobs.values()];
  }

  viewOf(filePath: string): JobView {
    const uses: JobUse[] = [];
    const apps: HydraAppUse[] = [];
    for (const job of this.jobs.values()) {
      for (const launch of job.launches) {
        if (launch.hydra && inConfigTree(launch, launch.hydra, filePath)) apps.push({ job, launch, composition: launch.hydra });
        if (!job.files.has(filePath)) continue;
        const config = launch.configs.find((c) => c.path === filePath);
        // A launcher's run of an entry script carries no allocation facts (GPUs, --time) for the script's estimate.
        if (config || (launch.entry?.path === filePath && job.kind === 'batch')) uses.push({ job, launch, config });
      }
    }
    return { scheduled: this.jobs.get(filePath), uses, apps };
  }
}
