/**
 * What a profiled run executes, decided without vscode so that it is unit-tested: the `green-ai` task definition
 * (validated, since users write it in tasks.json), which Python interpreter runs the script and why, the runs
 * folder, the run's label, and the argument array handed to ProcessExecution (never a shell string).
 */
import path from 'node:path';
import { z } from 'zod';

export const RUN_TASK_TYPE = 'green-ai';

/**
 * Mirrors package.json's contributes.taskDefinitions entry for `green-ai`. VS Code passes only the declared
 * properties; `label` is also the task's name in tasks.json, so any text is accepted (the CLI makes the run
 * folder's name safe).
 */
export const runTaskDefinition = z.object({
  type: z.literal(RUN_TASK_TYPE),
  script: z.string().min(1, 'expected the path of the Python script to run'),
  args: z.array(z.string()).optional(),
  label: z.string().trim().min(1).max(200).optional(),
  interpreter: z.string().min(1).optional(),
  env: z.record(z.string(), z.string()).optional(),
  intervalMs: z.number().int().min(50).max(60_000).optional(),
});
export type RunTaskDefinition = z.infer<typeof runTaskDefinition>;

/** The task definition's problems as one message naming each key, e.g. `tasks.json "green-ai" task: intervalMs: …`. */
export function parseRunTaskDefinition(raw: unknown): { ok: true; value: RunTaskDefinition } | { ok: false; message: string } {
  const result = runTaskDefinition.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'definition'}: ${issue.message}`);
  return { ok: false, message: `invalid "${RUN_TASK_TYPE}" task definition: ${problems.join('; ')}` };
}

export type InterpreterSource = 'task' | 'python-extension' | 'setting' | 'default';

export interface Interpreter {
  /** The executable and any arguments it needs before the script (conda's `run -n env python`, `py -3`). */
  command: string[];
  source: InterpreterSource;
}

export interface InterpreterCandidates {
  /** `interpreter` from the task definition. */
  task?: string | undefined;
  /** What the Python extension says runs this file (its execCommand), when it is installed and has one. */
  pythonExtension?: readonly string[] | undefined;
  /** `greenAI.pythonPath`; empty means unset. */
  setting?: string | undefined;
}

export const DEFAULT_PYTHON = 'python3';

/** The task's own interpreter, else the Python extension's, else `greenAI.pythonPath`, else `python3` from PATH. */
export function resolveInterpreter(candidates: InterpreterCandidates): Interpreter {
  if (candidates.task) return { command: [candidates.task], source: 'task' };
  const fromExtension = candidates.pythonExtension?.filter((part) => part.length > 0) ?? [];
  if (fromExtension.length > 0) return { command: fromExtension, source: 'python-extension' };
  if (candidates.setting) return { command: [candidates.setting], source: 'setting' };
  return { command: [DEFAULT_PYTHON], source: 'default' };
}

export function describeInterpreter(interpreter: Interpreter): string {
  const where = {
    task: 'from the task definition',
    'python-extension': 'selected in the Python extension',
    setting: 'from greenAI.pythonPath',
    default: 'default; set greenAI.pythonPath or select one with the Python extension',
  }[interpreter.source];
  return `${interpreter.command.join(' ')} (${where})`;
}

/** The runs folder: `greenAI.runs.directory` as given when absolute, else under the workspace folder (or the script's folder). */
export function resolveRunsDirectory(setting: string, workspaceFolder: string | undefined, scriptPath: string): string {
  if (path.isAbsolute(setting)) return path.normalize(setting);
  return path.resolve(workspaceFolder ?? path.dirname(scriptPath), setting);
}

/**
 * The run's default label: the script's name (`train` for train.py). The CLI prefixes the run folder with the start
 * time, so runs of one script share the label and differ by folder and time.
 */
export function defaultRunLabel(scriptPath: string): string {
  return path.basename(scriptPath).replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_') || 'run';
}

export interface RunInvocation {
  /** The Node executable running the CLI (the extension host's own, so that no `node` on PATH is needed). */
  node: string;
  cliPath: string;
  label: string;
  runsDirectory: string;
  interpreter: Interpreter;
  script: string;
  args?: readonly string[] | undefined;
  intervalMs?: number | undefined;
  /** `greenAI.location`, so that the measured CO2e uses the same grid as the editor's estimates. */
  location?: string | undefined;
}

/** `node <cli.js> run --label L --out DIR [--interval-ms N] [--location X] -- <python…> <script> <args…>` as an argument array. */
export function runCommandLine(invocation: RunInvocation): { command: string; args: string[] } {
  const args = [invocation.cliPath, 'run', '--label', invocation.label, '--out', invocation.runsDirectory];
  if (invocation.intervalMs !== undefined) args.push('--interval-ms', String(invocation.intervalMs));
  if (invocation.location !== undefined) args.push('--location', invocation.location);
  args.push('--', ...invocation.interpreter.command, invocation.script, ...(invocation.args ?? []));
  return { command: invocation.node, args };
}

const isFunction = (value: unknown): value is (...args: unknown[]) => unknown => typeof value === 'function';
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const environmentPath = z.object({ path: z.string().min(1) });
const resolvedEnvironment = z.object({ executable: z.object({ uri: z.object({ fsPath: z.string().min(1) }).optional() }) });
const executionDetails = z.object({ execCommand: z.array(z.string()).min(1).optional() });

/**
 * The interpreter command from the Python extension's exported API: `environments.getActiveEnvironmentPath` +
 * `resolveEnvironment` (its current API), else the older `settings.getExecutionDetails().execCommand` (which may be
 * several words, e.g. `conda run -n env python`). The exports are untyped: every shape is checked, methods are
 * called on their own objects, and anything unexpected means "no answer" (undefined).
 */
export async function interpreterFromPythonApi(api: unknown, resource: unknown): Promise<string[] | undefined> {
  if (!isObject(api)) return undefined;
  const environments = api.environments;
  if (isObject(environments) && isFunction(environments.getActiveEnvironmentPath)) {
    const raw = environments.getActiveEnvironmentPath.call(environments, resource);
    const active = environmentPath.safeParse(raw);
    if (active.success) {
      if (isFunction(environments.resolveEnvironment)) {
        // The extension's own object (with its id), not the checked copy.
        const resolved = resolvedEnvironment.safeParse(await environments.resolveEnvironment.call(environments, raw));
        const executable = resolved.success ? resolved.data.executable.uri?.fsPath : undefined;
        if (executable) return [executable];
      }
      // Unresolved, the path is the interpreter itself for plain environments (a conda prefix is a folder: not usable).
      if (/python[\d.]*(\.exe)?$/i.test(active.data.path)) return [active.data.path];
    }
  }
  const settings = api.settings;
  if (isObject(settings) && isFunction(settings.getExecutionDetails)) {
    const details = executionDetails.safeParse(settings.getExecutionDetails.call(settings, resource));
    if (details.success && details.data.execCommand) return details.data.execCommand;
  }
  return undefined;
}

/** What `${…}` variables in a `green-ai` task definition stand for when it runs (VS Code's predefined variables). */
export interface TaskVariableContext {
  workspaceFolder?: string | undefined;
  /** The active editor's file, when there is one. */
  file?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** `${config:section.key}`: the setting's value. */
  config(key: string): unknown;
  userHome: string;
  pathSeparator: string;
}

/**
 * Resolves VS Code's predefined variables (`${file}`, `${workspaceFolder}`, `${env:NAME}`, `${config:key}`…) in the
 * definition's script, args, label, interpreter and env values — VS Code passes a custom task's definition
 * unresolved, and `${file}` is how people run "the current script" from tasks.json. A variable that cannot be
 * resolved here (`${input:…}`, `${command:…}`, `${file}` with no editor open) is an error naming the key, never
 * left in the command line.
 */
export function resolveTaskVariables(definition: RunTaskDefinition, context: TaskVariableContext): { ok: true; value: RunTaskDefinition } | { ok: false; message: string } {
  const problems: string[] = [];
  const resolve = (text: string, key: string): string =>
    text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
      const value = variableValue(name, context);
      if (value.ok) return value.value;
      problems.push(`${key}: ${whole} ${value.reason}`);
      return whole;
    });
  const value: RunTaskDefinition = { ...definition, script: resolve(definition.script, 'script') };
  if (definition.args) value.args = definition.args.map((arg, index) => resolve(arg, `args.${index}`));
  if (definition.label !== undefined) value.label = resolve(definition.label, 'label');
  if (definition.interpreter !== undefined) value.interpreter = resolve(definition.interpreter, 'interpreter');
  if (definition.env) value.env = Object.fromEntries(Object.entries(definition.env).map(([name, text]) => [name, resolve(text, `env.${name}`)]));
  if (problems.length > 0) return { ok: false, message: `cannot resolve ${problems.join('; ')}` };
  return { ok: true, value };
}

function variableValue(name: string, context: TaskVariableContext): { ok: true; value: string } | { ok: false; reason: string } {
  const needFile = (pick: (file: string) => string) =>
    context.file ? { ok: true as const, value: pick(context.file) } : { ok: false as const, reason: 'needs an open editor (no file is active)' };
  const needFolder = (pick: (folder: string) => string) =>
    context.workspaceFolder ? { ok: true as const, value: pick(context.workspaceFolder) } : { ok: false as const, reason: 'needs an open workspace folder' };
  if (name.startsWith('env:')) return { ok: true, value: context.env[name.slice(4)] ?? '' };
  if (name.startsWith('config:')) {
    const setting = context.config(name.slice(7));
    if (typeof setting === 'string' || typeof setting === 'number' || typeof setting === 'boolean') return { ok: true, value: String(setting) };
    return { ok: false, reason: setting === undefined ? 'is not a setting' : 'is not a string, number or boolean setting' };
  }
  switch (name) {
    case 'workspaceFolder':
    case 'cwd':
      return needFolder((folder) => folder);
    case 'workspaceFolderBasename':
      return needFolder((folder) => path.basename(folder));
    case 'file':
      return needFile((file) => file);
    case 'fileBasename':
      return needFile((file) => path.basename(file));
    case 'fileBasenameNoExtension':
      return needFile((file) => path.basename(file, path.extname(file)));
    case 'fileExtname':
      return needFile((file) => path.extname(file));
    case 'fileDirname':
      return needFile((file) => path.dirname(file));
    case 'fileDirnameBasename':
      return needFile((file) => path.basename(path.dirname(file)));
    case 'relativeFile':
      return needFile((file) => (context.workspaceFolder ? path.relative(context.workspaceFolder, file) : file));
    case 'relativeFileDirname':
      return needFile((file) => path.dirname(context.workspaceFolder ? path.relative(context.workspaceFolder, file) : file));
    case 'fileWorkspaceFolder':
      return needFile(() => context.workspaceFolder ?? '');
    case 'userHome':
      return { ok: true, value: context.userHome };
    case 'pathSeparator':
    case '/':
      return { ok: true, value: context.pathSeparator };
    default:
      return { ok: false, reason: name.includes(':') ? 'is not supported in green-ai tasks (only predefined variables, env: and config:)' : 'is not a known variable' };
  }
}
