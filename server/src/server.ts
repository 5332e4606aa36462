/**
 * The Green AI language server: connection, capability negotiation and wiring of the features.
 * Transport (stdio, node IPC, pipe, socket) is chosen from the command line by vscode-languageserver.
 */
import {
  CodeLensRefreshRequest,
  createConnection,
  DidChangeConfigurationNotification,
  ProposedFeatures,
  TextDocumentSyncKind,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { DocumentStore } from './documents/documentStore';
import { createPythonParser } from './documents/pythonParser';
import { provideCodeActions } from './features/codeActions';
import { codeLensesFor } from './features/codeLens';
import { DiagnosticsFeature } from './features/diagnostics';
import { dataHoverFor } from './features/dataHover';
import { hoverFor } from './features/hover';
import { VERSION } from '../../shared/src/version';
import { WorkspaceSettings } from './workspace';

/** Python training scripts, and the configs and job scripts that decide a run (server/src/configs/). */
const ANALYSED_LANGUAGES = new Set(['python', 'yaml', 'json', 'jsonc', 'shellscript', 'slurm']);

const connection = createConnection(ProposedFeatures.all);
const workspace = new WorkspaceSettings(connection);
let documents: DocumentStore | undefined;
let diagnostics: DiagnosticsFeature | undefined;
let supportsConfigurationChange = false;
let supportsCodeLensRefresh = false;

// One bad document or rule must never take the server down: log and keep serving.
process.on('uncaughtException', (error) => connection.console.error(`Uncaught exception: ${error.stack ?? error.message}`));
process.on('unhandledRejection', (reason) => connection.console.error(`Unhandled rejection: ${String(reason)}`));

connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
  const parser = await createPythonParser();
  documents = new DocumentStore(parser);
  diagnostics = new DiagnosticsFeature(connection, documents, workspace);
  supportsCodeLensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
  diagnostics.onPublished = () => {
    if (supportsCodeLensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  };
  workspace.supportsConfiguration = params.capabilities.workspace?.configuration === true;
  supportsConfigurationChange = params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
  workspace.fallback = params.initializationOptions?.settings;
  workspace.setFolders((params.workspaceFolders ?? []).map((folder) => folder.uri).concat(params.rootUri ? [params.rootUri] : []));
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix'] },
      codeLensProvider: { resolveProvider: false },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'green-ai', version: VERSION },
  };
});

connection.onInitialized(() => {
  if (supportsConfigurationChange) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'greenAI' });
  }
  if (workspace.supportsConfiguration) {
    connection.workspace.onDidChangeWorkspaceFolders((event) => {
      workspace.setFolders(event.added.map((f) => f.uri));
      diagnostics?.scheduleAll();
    });
  }
});

connection.onDidChangeConfiguration((change) => {
  if (!workspace.supportsConfiguration) workspace.fallback = (change.settings as { greenAI?: unknown } | undefined)?.greenAI;
  workspace.invalidate();
  diagnostics?.scheduleAll();
});

connection.onDidOpenTextDocument(({ textDocument }) => {
  if (!documents || !diagnostics || !ANALYSED_LANGUAGES.has(textDocument.languageId)) return;
  documents.open(textDocument.uri, textDocument.languageId, textDocument.version, textDocument.text);
  diagnostics.schedule(textDocument.uri, 0);
});

connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
  if (!documents?.change(textDocument.uri, textDocument.version, contentChanges)) return;
  diagnostics?.schedule(textDocument.uri);
});

connection.onDidCloseTextDocument(({ textDocument }) => {
  documents?.close(textDocument.uri);
  workspace.forget(textDocument.uri);
  diagnostics?.forget(textDocument.uri);
});

connection.onHover(async ({ textDocument, position }) => {
  if (!diagnostics) return null;
  const onFinding = hoverFor(await diagnostics.current(textDocument.uri), position);
  if (onFinding) return onFinding;
  const document = documents?.get(textDocument.uri);
  if (!document || document.document.languageId !== 'python') return null;
  try {
    return dataHoverFor(document.tree(), document.document.getText(), textDocument.uri, position);
  } catch (error) {
    connection.console.error(`Hover on ${textDocument.uri} failed: ${error instanceof Error ? error.stack : String(error)}`);
    return null;
  }
});

connection.onCodeLens(async ({ textDocument }) => {
  if (!diagnostics) return [];
  const result = await diagnostics.currentResult(textDocument.uri);
  return codeLensesFor(textDocument.uri, result?.estimate ?? null);
});

connection.onCodeAction(async (params) => {
  if (!documents || !diagnostics) return [];
  return provideCodeActions(params, documents, diagnostics);
});

connection.listen();
