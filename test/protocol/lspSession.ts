/**
 * Starts the bundled server (`dist/server.js --stdio`) as a child process and talks LSP to it the way an
 * editor does. Waits are event-driven with deadlines, never fixed sleeps.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const SERVER = path.join(__dirname, '..', '..', 'dist', 'server.js');

export interface SessionOptions {
  /** Answer for `workspace/configuration` requests (the `greenAI` section). */
  settings?: () => unknown;
  workspaceFolder?: string;
}

export interface NotebookCellInput {
  uri: string;
  text: string;
  kind?: 1 | 2;
  languageId?: string;
}

export class LspSession {
  readonly connection: MessageConnection;
  readonly process: ChildProcessWithoutNullStreams;
  readonly stderr: string[] = [];
  readonly logs: string[] = [];
  readonly shownMessages: string[] = [];
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly options: SessionOptions = {}) {
    this.process = spawn(process.execPath, [SERVER, '--stdio'], { stdio: 'pipe' });
    this.process.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout), new StreamMessageWriter(this.process.stdin));
    this.connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      const list = this.diagnostics.get(params.uri) ?? [];
      list.push(params);
      this.diagnostics.set(params.uri, list);
      this.notify();
    });
    this.connection.onNotification('window/logMessage', (params: { message: string }) => {
      this.logs.push(params.message);
      this.notify();
    });
    this.connection.onRequest('window/showMessageRequest', (params: { message: string }) => {
      this.shownMessages.push(params.message);
      this.notify();
      return null;
    });
    this.connection.onNotification('window/showMessage', (params: { message: string }) => {
      this.shownMessages.push(params.message);
      this.notify();
    });
    this.connection.onRequest('workspace/configuration', (params: { items: unknown[] }) =>
      params.items.map(() => this.options.settings?.() ?? {}),
    );
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.listen();
  }

  async initialize(): Promise<unknown> {
    const folder = this.options.workspaceFolder;
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: folder ? `file://${folder}` : null,
      workspaceFolders: folder ? [{ uri: `file://${folder}`, name: 'ws' }] : null,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true }, codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } } },
      },
    });
    await this.connection.sendNotification('initialized', {});
    return result;
  }

  open(uri: string, text: string, version = 1, languageId = 'python'): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  change(uri: string, version: number, contentChanges: unknown[]): Promise<void> {
    return this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
  }

  /** Opens a notebook with its cells (`kind` 2 = code, 1 = markdown), as a client with notebook sync sends it. */
  openNotebook(uri: string, cells: NotebookCellInput[], version = 1): Promise<void> {
    return this.connection.sendNotification('notebookDocument/didOpen', {
      notebookDocument: { uri, notebookType: 'jupyter-notebook', version, cells: cells.map((cell) => ({ kind: cell.kind ?? 2, document: cell.uri })) },
      cellTextDocuments: cells.map((cell) => ({ uri: cell.uri, languageId: cell.languageId ?? 'python', version: 1, text: cell.text })),
    });
  }

  /** `change` is the notebook change event of the protocol (cells.structure / cells.textContent). */
  changeNotebook(uri: string, version: number, change: unknown): Promise<void> {
    return this.connection.sendNotification('notebookDocument/didChange', { notebookDocument: { uri, version }, change });
  }

  closeNotebook(uri: string, cellUris: string[]): Promise<void> {
    return this.connection.sendNotification('notebookDocument/didClose', { notebookDocument: { uri }, cellTextDocuments: cellUris.map((cellUri) => ({ uri: cellUri })) });
  }

  /** Resolves with the first diagnostics published for `uri` (at `version`, when given) after `since` notifications. */
  async diagnosticsFor(uri: string, predicate: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const found = await this.waitFor(() => (this.diagnostics.get(uri) ?? []).find(predicate), timeoutMs, `diagnostics for ${uri}`);
    return found.diagnostics;
  }

  /** Like diagnosticsFor, among the publishes for `uri` after the first `count` (see publishedCount). */
  async diagnosticsAfter(uri: string, count: number, predicate: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const found = await this.waitFor(() => (this.diagnostics.get(uri) ?? []).slice(count).find(predicate), timeoutMs, `diagnostics for ${uri} after ${count} publishes`);
    return found.diagnostics;
  }

  publishedCount(uri: string): number {
    return this.diagnostics.get(uri)?.length ?? 0;
  }

  async waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; server stderr: ${this.stderr.join('').slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async dispose(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // the server may already be gone
    }
    this.connection.dispose();
    await new Promise<void>((resolve) => {
      if (this.process.exitCode !== null || this.process.signalCode !== null) return resolve();
      const timer = setTimeout(() => {
        this.process.kill('SIGKILL');
        resolve();
      }, 3000);
      this.process.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
