/**
 * Activation: start the bundled language server over node IPC, restart it when it crashes (a few times,
 * then tell the user), and register the commands and the status bar item.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { DISABLE_RULE_COMMAND, SHOW_ESTIMATE_COMMAND, STATUS_NOTIFICATION, statusParams } from '../../shared/src/protocol';
import { explicitSettingsFrom, SETTINGS_SECTION } from '../../shared/src/settings';
import { disableRule } from './features/disableRule';
import { EstimateDetail } from './features/estimateDetail';
import { registerPower } from './features/power';
import { registerProfiledRuns } from './features/profiledRuns';
import { StatusItem } from './features/statusItem';

const ANALYSED_LANGUAGES = ['python', 'yaml', 'json', 'jsonc', 'shellscript', 'slurm', 'toml'];
/** The project configuration files (`[tool.green-ai]`); VS Code has no TOML language of its own, so they are also selected by name. */
const PROJECT_FILES = '**/{pyproject.toml,.green-ai.toml}';
/** The files a training job is made of (server/src/jobs/): the server re-reads them when they change on disk. */
const JOB_FILES = '**/*.{py,yaml,yml,json,sh,sbatch,slurm}';
const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Green AI', { log: true });
  const status = new StatusItem();
  const estimateDetail = new EstimateDetail(output);
  context.subscriptions.push(output, status, estimateDetail);
  // Live power (panel, status bar item) needs no language server. It returns the handles a profiled run can use
  // to count energy from its start: panel.followRun(label, startMs) / panel.endRun(), status.showRunEnergy(label, kWh).
  const power = registerPower(context, output);
  // Profiled runs (task, lenses, Runs view, report) need no language server; they work while it starts or after it fails.
  // The power panel follows each run from its start; the power status item shows its recorded energy.
  registerProfiledRuns(context, output).setFollower({
    followRun: (label, startMs) => power.panel.followRun(label, startMs),
    endRun: () => power.panel.endRun(),
    showRunEnergy: (label, kWh) => power.status.showRunEnergy(label, kWh),
  });

  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const watchers = [vscode.workspace.createFileSystemWatcher(PROJECT_FILES), vscode.workspace.createFileSystemWatcher(JOB_FILES)];
  context.subscriptions.push(...watchers);
  const clientOptions: LanguageClientOptions = {
    // Training scripts, and the configs and job scripts that decide a run; the server only reports on files it recognises as training configs.
    documentSelector: [
      ...ANALYSED_LANGUAGES.flatMap((language) => [
        { scheme: 'file', language },
        { scheme: 'untitled', language },
      ]),
      { scheme: 'file', pattern: PROJECT_FILES },
      // Python cells of Jupyter notebooks: hovers and code actions on cells; the cells themselves are synchronised
      // with the notebook (the server's notebookDocumentSync), which analyses them as one program.
      { notebook: 'jupyter-notebook', language: 'python' },
    ],
    // The server re-reads a project file saved, created or deleted outside an editor and re-analyses open documents.
    // Job files (scripts, configs, batch scripts) changed outside an editor update the server's job graph.
    synchronize: { fileEvents: watchers },
    middleware: {
      workspace: {
        // Only what the user set explicitly: VS Code's merged values would include every default and so hide the
        // project file, which the server puts between the defaults and these (server/src/workspace.ts).
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          if (!Array.isArray(answer)) return answer;
          return params.items.map((item, i) => {
            if (item.section !== SETTINGS_SECTION) return answer[i];
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
            return explicitSettingsFrom((key) => configuration.inspect(key));
          });
        },
      },
    },
    outputChannel: output,
    errorHandler: restartingErrorHandler(output, status),
  };
  client = new LanguageClient('greenAI', 'Green AI', serverOptions, clientOptions);

  context.subscriptions.push(
    vscode.commands.registerCommand('greenAI.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('greenAI.restartServer', async () => {
      status.starting();
      await client?.restart();
    }),
    vscode.commands.registerCommand(DISABLE_RULE_COMMAND, disableRule),
    vscode.commands.registerCommand(SHOW_ESTIMATE_COMMAND, (...args: unknown[]) => estimateDetail.show(...args)),
  );

  client.onNotification(STATUS_NOTIFICATION, (raw: unknown) => {
    const parsed = statusParams.safeParse(raw);
    if (parsed.success) status.update(parsed.data);
    else output.warn(`Ignored a malformed ${STATUS_NOTIFICATION} notification: ${parsed.error.message}`);
  });

  try {
    await client.start();
  } catch (error) {
    status.stopped('the language server did not start');
    output.error(`Green AI language server failed to start: ${error instanceof Error ? error.message : String(error)}`);
    void vscode.window.showErrorMessage('Green AI: the language server did not start. See the "Green AI" output for details.', 'Show Output')
      .then((choice) => choice && output.show());
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

/** Restarts the server after a crash, at most MAX_RESTARTS times within RESTART_WINDOW_MS; then asks the user. */
function restartingErrorHandler(output: vscode.LogOutputChannel, status: StatusItem): ErrorHandler {
  const restarts: number[] = [];
  return {
    error: () => ({ action: ErrorAction.Continue }),
    closed: () => {
      const now = Date.now();
      while (restarts.length > 0 && now - restarts[0]! > RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length < MAX_RESTARTS) {
        restarts.push(now);
        output.warn(`Green AI language server stopped; restarting (${restarts.length}/${MAX_RESTARTS}).`);
        status.starting();
        return { action: CloseAction.Restart };
      }
      status.stopped(`the language server crashed ${MAX_RESTARTS + 1} times in ${RESTART_WINDOW_MS / 60000} minutes`);
      void vscode.window
        .showErrorMessage('Green AI: the language server keeps crashing and was not restarted.', 'Restart', 'Show Output')
        .then((choice) => {
          if (choice === 'Restart') void vscode.commands.executeCommand('greenAI.restartServer');
          else if (choice === 'Show Output') output.show();
        });
      return { action: CloseAction.DoNotRestart };
    },
  };
}
