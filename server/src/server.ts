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
import { NOTEBOOK_SYNC, NotebookFeature } from './notebooks/notebookFeature';
import { VERSION } from '../../shared/src/version';
import { ProjectFiles } from './project/projectFiles';
import { WorkspaceSettings } from './workspace';

/**
 * Python training scripts, and the configs and job scripts that decide a run (server/src/configs/). The client also
 * sends TOML documents: pyproject.toml / .green-ai.toml go to ProjectFiles by name, other TOML files are ignored.
 */
const ANALYSED_LANGUAGES = new Set(['python', 'yaml', 'json', 'jsonc', 'shellscript', 'slurm']);

const connection = createConnection(ProposedFeatures.all);
// pyproject.toml `[tool.green-ai]` / .green-ai.toml: read for every document's settings, diagnosed while open.
const projectFiles = new ProjectFiles(connection);
const workspace = new WorkspaceSettings(connection, projectFiles);
let documents: DocumentStore | undefined;
let diagnostics: DiagnosticsFeature | undefined;
// Jupyter notebooks: their Python cells analysed as one program (LSP notebook document sync).
let notebooks: NotebookFeature | undefined;
let supportsConfigurationChange = false;
let supportsCodeLensRefresh = false;

// One bad document or rule must never take the server down: log and keep serving.
process.on('uncaughtException', (error) => connection.console.error(`Uncaught exception: ${error.stack ?? error.message}`));
process.on('unhandledRejection', (reason) => connection.console.error(`Unhandled rejection: ${String(reason)}`));

connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
  const parser = await createPythonParser();
  documents = new DocumentStore(parser);
  diagnostics = new DiagnosticsFeature(connection, documents, workspace);
  notebooks = new NotebookFeature(connection, parser, workspace);
  projectFiles.onChanged = () => {
    workspace.invalidate();
    diagnostics?.scheduleAll();
    notebooks?.scheduleAll();
  };
  supportsCodeLensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
  diagnostics.onPublished = () => {
    if (supportsCodeLensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  };
  notebooks.onPublished = diagnostics.onPublished;
  workspace.supportsConfiguration = params.capabilities.workspace?.configuration === true;
  supportsConfigurationChange = params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
  workspace.fallback = params.initializationOptions?.settings;
  workspace.setFolders((params.workspaceFolders ?? []).map((folder) => folder.uri).concat(params.rootUri ? [params.rootUri] : []));
  diagnostics.setWorkspaceFolders((params.workspaceFolders ?? []).map((folder) => folder.uri).concat(params.rootUri ? [params.rootUri] : []));
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      notebookDocumentSync: NOTEBOOK_SYNC,
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
      diagnostics?.changeWorkspaceFolders(event.added.map((f) => f.uri), event.removed.map((f) => f.uri));
      diagnostics?.scheduleAll();
      notebooks?.scheduleAll();
    });
  }
});

connection.onDidChangeConfiguration((change) => {
  if (!workspace.supportsConfiguration) workspace.fallback = (change.settings as { greenAI?: unknown } | undefined)?.greenAI;
  workspace.invalidate();
  diagnostics?.scheduleAll();
  notebooks?.scheduleAll();
});

connection.onDidChangeWatchedFiles(({ changes }) => {
  for (const change of changes) {
    if (ProjectFiles.handles(change.uri)) projectFiles.didChangeOnDisk(change.uri);
    else diagnostics?.fileChangedOnDisk(change.uri); // a file of a job (script, config) changed outside the editor
  }
});

connection.onDidOpenTextDocument(({ textDocument }) => {
  if (ProjectFiles.handles(textDocument.uri)) return projectFiles.didOpen(textDocument.uri, textDocument.languageId, textDocument.version, textDocument.text);
  if (!documents || !diagnostics || !ANALYSED_LANGUAGES.has(textDocument.languageId)) return;
  documents.open(textDocument.uri, textDocument.languageId, textDocument.version, textDocument.text);
  diagnostics.schedule(textDocument.uri, 0);
});

connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
  if (ProjectFiles.handles(textDocument.uri)) return projectFiles.didChange(textDocument.uri, textDocument.version, contentChanges);
  if (!documents?.change(textDocument.uri, textDocument.version, contentChanges)) return;
  diagnostics?.schedule(textDocument.uri);
});

connection.onDidCloseTextDocument(({ textDocument }) => {
  if (ProjectFiles.handles(textDocument.uri)) return projectFiles.didClose(textDocument.uri);
  documents?.close(textDocument.uri);
  workspace.forget(textDocument.uri);
  diagnostics?.forget(textDocument.uri);
});

connection.onHover(async ({ textDocument, position }) => {
  if (notebooks?.handles(textDocument.uri)) return notebooks.hover(textDocument.uri, position);
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
  if (notebooks?.handles(textDocument.uri)) return notebooks.codeLenses(textDocument.uri);
  if (!diagnostics) return [];
  const result = await diagnostics.currentResult(textDocument.uri);
  return codeLensesFor(textDocument.uri, result?.estimate ?? null);
});

connection.onCodeAction(async (params) => {
  if (notebooks?.handles(params.textDocument.uri)) return notebooks.codeActions(params);
  if (!documents || !diagnostics) return [];
  return provideCodeActions(params, documents, diagnostics);
});

connection.listen();
