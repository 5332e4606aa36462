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
import { disableRule } from './features/disableRule';
import { EstimateDetail } from './features/estimateDetail';
import { StatusItem } from './features/statusItem';

const ANALYSED_LANGUAGES = ['python', 'yaml', 'json', 'jsonc', 'shellscript', 'slurm'];
const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Green AI', { log: true });
  const status = new StatusItem();
  const estimateDetail = new EstimateDetail(output);
  context.subscriptions.push(output, status, estimateDetail);

  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    // Training scripts, and the configs and job scripts that decide a run; the server only reports on files it recognises as training configs.
    documentSelector: ANALYSED_LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
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
