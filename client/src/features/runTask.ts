/**
 * Profiled runs as VS Code tasks: the `green-ai` task provider (tasks.json entries with script, args, label,
 * interpreter, env, intervalMs) and the `greenAI.runWithProfiling` command. A run is a ProcessExecution of
 * `<node> dist/cli.js run --label … --out <runs dir> -- <python> <script> <args…>` (an argument array, never a shell
 * string) in the integrated terminal. Runs execute workspace code, so they are refused in untrusted workspaces.
 */
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { SETTINGS, SETTINGS_SECTION } from '../../../shared/src/settings';
import {
  defaultRunLabel,
  describeInterpreter,
  interpreterFromPythonApi,
  parseRunTaskDefinition,
  resolveInterpreter,
  resolveRunsDirectory,
  resolveTaskVariables,
  RUN_TASK_TYPE,
  runCommandLine,
  type RunTaskDefinition,
} from './runPlan';

export const RUN_WITH_PROFILING_COMMAND = 'greenAI.runWithProfiling';
export const UNTRUSTED_REASON = 'Profiled runs execute the workspace\'s script, so they are disabled in Restricted Mode. Trust the workspace to run it.';

/** What the power feature does with a profiled run (its panel and status item); see RunTasks.setFollower. */
export interface RunFollower {
  /** The run started: count energy and CO2e from `startMs` under `label`. */
  followRun(label: string, startMs: number): unknown;
  /** The run's process ended. */
  endRun?(): unknown;
  /** The run's recorded IT energy, once its run.json is read. */
  showRunEnergy?(label: string, kWh: number | undefined): unknown;
}

/** A profiled run that started or ended, for the Runs view and the calibration lens. */
export interface RunEvent {
  label: string;
  runsDirectory: string;
  script: string;
  exitCode?: number | undefined;
}

export interface RunSettings {
  pythonPath: string;
  /** `greenAI.runs.directory` as written (relative or absolute). */
  runsDirectory: string;
  /**
   * `greenAI.location` when the user set it, passed to the recorder so that measured and estimated CO2e use the same
   * grid; undefined otherwise, so that the recorder takes the project file's location (as the server does).
   */
  location: string | undefined;
}

/** The run-related settings for a resource; an invalid value is reported once (naming its key) and falls back to its default. */
export function readRunSettings(scope: vscode.Uri | undefined, output?: vscode.LogOutputChannel): RunSettings {
  const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const read = <K extends 'pythonPath' | 'runs.directory' | 'location'>(key: K): string => {
    const raw = configuration.get<unknown>(key);
    if (raw === undefined || raw === null) return SETTINGS[key].default;
    const parsed = SETTINGS[key].schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    warnOnce(output, `${SETTINGS_SECTION}.${key}: ${parsed.error.issues[0]?.message ?? 'invalid value'}; using the default ${JSON.stringify(SETTINGS[key].default)}`);
    return SETTINGS[key].default;
  };
  const location = configuration.inspect<unknown>('location');
  const locationSet = [location?.workspaceFolderValue, location?.workspaceValue, location?.globalValue].some((value) => value !== undefined);
  return { pythonPath: read('pythonPath'), runsDirectory: read('runs.directory'), location: locationSet ? read('location') : undefined };
}

const warned = new Set<string>();
function warnOnce(output: vscode.LogOutputChannel | undefined, message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  output?.warn(message);
  void vscode.window.showWarningMessage(`Green AI: ${message}`);
}

/** The absolute runs folder for a script (or for a workspace folder when no script is given). */
export function runsDirectoryFor(scope: vscode.Uri, output?: vscode.LogOutputChannel): string {
  const folder = vscode.workspace.getWorkspaceFolder(scope);
  const setting = readRunSettings(scope, output).runsDirectory;
  return resolveRunsDirectory(setting, folder?.uri.fsPath, scope.fsPath);
}

/** Every runs folder of the open workspace (one per workspace folder, deduplicated). */
export function allRunsDirectories(output?: vscode.LogOutputChannel): string[] {
  const folders = vscode.workspace.workspaceFolders ?? [];
  return [...new Set(folders.map((folder) => resolveRunsDirectory(readRunSettings(folder.uri, output).runsDirectory, folder.uri.fsPath, folder.uri.fsPath)))];
}

export class RunTasks implements vscode.TaskProvider, vscode.Disposable {
  private follower: RunFollower | undefined;
  private readonly started = new vscode.EventEmitter<RunEvent>();
  private readonly ended = new vscode.EventEmitter<RunEvent>();
  /** Fires when a profiled run's process starts / ends (from the command or from tasks.json). */
  readonly onDidStartRun = this.started.event;
  readonly onDidEndRun = this.ended.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.tasks.registerTaskProvider(RUN_TASK_TYPE, this),
      vscode.tasks.onDidStartTaskProcess((event) => this.processStarted(event.execution)),
      vscode.tasks.onDidEndTaskProcess((event) => this.processEnded(event.execution, event.exitCode)),
      this.started,
      this.ended,
    );
  }

  /**
   * The hook for the power panel: when set, it is told the label and start time of each profiled run so that it can
   * follow the run's samples. Unset (no panel), runs proceed the same.
   */
  setFollower(follower: RunFollower | undefined): void {
    this.follower = follower;
  }

  get currentFollower(): RunFollower | undefined {
    return this.follower;
  }

  /** Offers "Run <file> with energy profiling" for the active Python file, as a template for tasks.json. */
  async provideTasks(): Promise<vscode.Task[]> {
    if (!vscode.workspace.isTrusted) return [];
    const document = vscode.window.activeTextEditor?.document;
    if (!document || document.languageId !== 'python' || document.uri.scheme !== 'file') return [];
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    const script = folder ? path.relative(folder.uri.fsPath, document.uri.fsPath) : document.uri.fsPath;
    const task = await this.buildTask({ type: RUN_TASK_TYPE, script }, folder);
    return task ? [task] : [];
  }

  /** Fills in the execution of a `green-ai` task from tasks.json; an invalid definition is reported, naming the key. */
  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    if (!vscode.workspace.isTrusted) {
      this.output.warn(`Task "${task.name}" not run: ${UNTRUSTED_REASON}`);
      return undefined;
    }
    const parsed = parseRunTaskDefinition(task.definition);
    if (!parsed.ok) {
      this.output.error(`Task "${task.name}": ${parsed.message}`);
      void vscode.window.showErrorMessage(`Green AI: task "${task.name}": ${parsed.message}`);
      return undefined;
    }
    const folder = typeof task.scope === 'object' ? task.scope : undefined;
    const active = vscode.window.activeTextEditor?.document.uri;
    const resolved = resolveTaskVariables(parsed.value, {
      workspaceFolder: folder?.uri.fsPath,
      file: active?.scheme === 'file' ? active.fsPath : undefined,
      env: process.env,
      config: (key) => vscode.workspace.getConfiguration(undefined, folder?.uri).get<unknown>(key),
      userHome: os.homedir(),
      pathSeparator: path.sep,
    });
    if (!resolved.ok) {
      this.output.error(`Task "${task.name}": ${resolved.message}`);
      void vscode.window.showErrorMessage(`Green AI: task "${task.name}": ${resolved.message}`);
      return undefined;
    }
    return this.buildTask(resolved.value, folder, task);
  }

  /** The `greenAI.runWithProfiling` command: runs the given (or active) Python file as a profiled task. */
  async runScript(target?: unknown): Promise<vscode.TaskExecution | undefined> {
    if (!vscode.workspace.isTrusted) {
      const choice = await vscode.window.showWarningMessage(`Green AI: ${UNTRUSTED_REASON}`, 'Manage Workspace Trust');
      if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const uri = target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file' || !uri.fsPath.endsWith('.py')) {
      void vscode.window.showErrorMessage('Green AI: open a Python script (saved to disk) to run it with energy profiling.');
      return undefined;
    }
    const document = vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === uri.toString());
    if (document?.isDirty && !(await document.save())) {
      void vscode.window.showErrorMessage(`Green AI: ${path.basename(uri.fsPath)} could not be saved, so it was not run.`);
      return undefined;
    }
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const script = folder ? path.relative(folder.uri.fsPath, uri.fsPath) : uri.fsPath;
    const task = await this.buildTask({ type: RUN_TASK_TYPE, script }, folder);
    if (!task) return undefined;
    return vscode.tasks.executeTask(task);
  }

  private async buildTask(definition: RunTaskDefinition, folder: vscode.WorkspaceFolder | undefined, template?: vscode.Task): Promise<vscode.Task | undefined> {
    const cwd = folder?.uri.fsPath ?? path.dirname(definition.script);
    const scriptPath = path.resolve(cwd, definition.script);
    const scriptUri = vscode.Uri.file(scriptPath);
    const settings = readRunSettings(scriptUri, this.output);
    const interpreter = resolveInterpreter({
      task: definition.interpreter,
      pythonExtension: await pythonExtensionCommand(scriptUri, this.output),
      setting: settings.pythonPath,
    });
    const label = definition.label ?? defaultRunLabel(scriptPath);
    const runsDirectory = resolveRunsDirectory(settings.runsDirectory, folder?.uri.fsPath, scriptPath);
    const { command, args } = runCommandLine({
      node: process.execPath,
      cliPath: this.context.asAbsolutePath(path.join('dist', 'cli.js')),
      label,
      runsDirectory,
      interpreter,
      script: definition.script,
      args: definition.args,
      intervalMs: definition.intervalMs,
      location: settings.location,
    });
    this.output.info(`Profiled run ${label}: python ${describeInterpreter(interpreter)}, runs folder ${runsDirectory}`);
    // In the desktop app the extension host is Electron: this makes it behave as plain Node for the CLI.
    const env = { ...definition.env, ELECTRON_RUN_AS_NODE: '1' };
    const execution = new vscode.ProcessExecution(command, args, { cwd, env });
    const name = template?.name ?? `Run ${path.basename(scriptPath)} with energy profiling`;
    const task = new vscode.Task(template?.definition ?? definition, folder ?? vscode.TaskScope.Workspace, name, RUN_TASK_TYPE, execution, []);
    task.detail = `green-ai run "${label}" → ${path.relative(cwd, runsDirectory) || runsDirectory}`;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, focus: false };
    return task;
  }

  private eventOf(execution: vscode.TaskExecution): RunEvent | undefined {
    if (execution.task.definition.type !== RUN_TASK_TYPE) return undefined;
    const process = execution.task.execution;
    if (!(process instanceof vscode.ProcessExecution)) return undefined;
    const valueAfter = (flag: string) => {
      const index = process.args.indexOf(flag);
      return index >= 0 ? process.args[index + 1] : undefined;
    };
    const label = valueAfter('--label');
    const runsDirectory = valueAfter('--out');
    const separator = process.args.indexOf('--');
    const script = process.args.slice(separator + 1).find((argument) => argument.endsWith('.py'));
    if (!label || !runsDirectory || separator < 0 || !script) return undefined;
    return { label, runsDirectory, script: path.resolve(process.options?.cwd ?? '', script) };
  }

  private processStarted(execution: vscode.TaskExecution): void {
    const event = this.eventOf(execution);
    if (!event) return;
    this.started.fire(event);
    const follower = this.follower;
    if (follower) this.tellFollower(`follow run ${event.label}`, () => follower.followRun(event.label, Date.now()));
  }

  private processEnded(execution: vscode.TaskExecution, exitCode: number | undefined): void {
    const event = this.eventOf(execution);
    if (!event) return;
    const follower = this.follower;
    if (follower?.endRun) this.tellFollower(`end run ${event.label}`, () => follower.endRun?.());
    this.ended.fire({ ...event, exitCode });
  }

  /** The power feature's trouble must never stop a run or its bookkeeping: logged, not thrown. */
  tellFollower(what: string, call: () => unknown): void {
    try {
      void Promise.resolve(call()).catch((error: unknown) => this.output.warn(`The power panel could not ${what}: ${String(error)}`));
    } catch (error) {
      this.output.warn(`The power panel could not ${what}: ${String(error)}`);
    }
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}

/**
 * The interpreter the Python extension (ms-python.python) has selected for a file, as a command. Undefined when
 * the extension is absent or unsure; interpreterFromPythonApi checks the shape of its untyped exports.
 */
export async function pythonExtensionCommand(resource: vscode.Uri, output?: vscode.LogOutputChannel): Promise<string[] | undefined> {
  const extension = vscode.extensions.getExtension('ms-python.python');
  if (!extension) return undefined;
  try {
    const api: unknown = extension.isActive ? extension.exports : await extension.activate();
    return await interpreterFromPythonApi(api, resource);
  } catch (error) {
    output?.warn(`The Python extension did not say which interpreter to use (${String(error)}); falling back to greenAI.pythonPath or python3.`);
    return undefined;
  }
}
