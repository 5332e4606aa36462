/**
 * A minimal editor-side LSP client over stdio for the benchmark: starts a server process, answers the
 * requests servers make of an editor (configuration, capability registration, progress), and timestamps
 * every `publishDiagnostics` on arrival so latencies can be matched to the change that caused them.
 */
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { peakRssBytes, spawnTracked } from './processes';

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  /** The answer to one `workspace/configuration` item, by section. */
  configuration: (section: string | undefined) => unknown;
}

export interface Publish {
  at: number;
  version: number | undefined;
  count: number;
}

export class LspClient {
  private readonly process: ChildProcess;
  private readonly connection: MessageConnection;
  private readonly publishes = new Map<string, Publish[]>();
  private readonly waiters = new Set<() => void>();
  private readonly stderr: string[] = [];
  private exited: string | null = null;
  /** Arrival times of `workspace/codeLens/refresh` requests. */
  readonly codeLensRefreshes: number[] = [];

  constructor(readonly spec: ServerSpec, cwd: string) {
    this.process = spawnTracked(spec.command, spec.args, { cwd });
    const { stdout, stdin, stderr } = this.process;
    if (!stdout || !stdin || !stderr) throw new Error(`${spec.name}: no stdio pipes to ${spec.command}`);
    stderr.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk.toString());
      if (this.stderr.length > 200) this.stderr.splice(0, 100);
    });
    this.process.once('error', (error) => this.fail(`could not start ${spec.command}: ${error.message}`));
    this.process.once('exit', (code, signal) => this.fail(`exited (code ${code}, signal ${signal})`));
    this.connection = createMessageConnection(new StreamMessageReader(stdout), new StreamMessageWriter(stdin));
    this.connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      const at = performance.now();
      const list = this.publishes.get(params.uri) ?? [];
      list.push({ at, version: params.version, count: params.diagnostics.length });
      this.publishes.set(params.uri, list);
      this.wake();
    });
    this.connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => spec.configuration(item.section)),
    );
    this.connection.onRequest('workspace/codeLens/refresh', () => {
      this.codeLensRefreshes.push(performance.now());
      this.wake();
      return null;
    });
    // Everything else an editor is asked (registerCapability, workDoneProgress/create, other refreshes): accept.
    this.connection.onRequest(() => null);
    this.connection.onNotification(() => {});
    this.connection.onError(([error]) => this.fail(`connection error: ${error.message}`));
    this.connection.listen();
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  async initialize(workspaceFolder: string, timeoutMs: number): Promise<void> {
    const uri = pathToFileURL(workspaceFolder).href;
    const request = this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uri,
      rootPath: workspaceFolder,
      workspaceFolders: [{ uri, name: 'bench' }],
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true, didChangeConfiguration: { dynamicRegistration: true }, codeLens: { refreshSupport: true } },
        textDocument: {
          codeLens: { dynamicRegistration: false },
          synchronization: { didSave: false, dynamicRegistration: false },
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
        },
      },
    });
    await this.deadline(request, timeoutMs, 'initialize');
    await this.connection.sendNotification('initialized', {});
  }

  /** Sends didOpen; resolves with the send time. */
  async open(uri: string, text: string, version: number, languageId = 'python'): Promise<number> {
    const sent = performance.now();
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
    return sent;
  }

  /** Inserts `text` at a position as one incremental change; resolves with the send time. */
  async insert(uri: string, version: number, line: number, character: number, text: string): Promise<number> {
    const sent = performance.now();
    const position = { line, character };
    await this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: position, end: position }, text }],
    });
    return sent;
  }

  /**
   * The first publish for `uri` that arrived after `since` and, when the server versions its
   * diagnostics, is for `version` (servers that leave `version` out are matched on arrival order only).
   */
  async publishFor(uri: string, version: number, since: number, timeoutMs: number): Promise<Publish> {
    const find = () =>
      (this.publishes.get(uri) ?? []).find((p) => p.at >= since && (p.version === undefined || p.version === null || p.version === version));
    const end = performance.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found) return found;
      if (this.exited) throw new Error(`${this.spec.name} ${this.exited}${this.stderrTail()}`);
      const remaining = end - performance.now();
      if (remaining <= 0) throw new Error(`${this.spec.name}: no diagnostics for ${uri} version ${version} within ${timeoutMs} ms${this.stderrTail()}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, remaining);
        this.waiters.add(wake);
      });
    }
  }

  /** Replaces a range with `text` as one incremental change; resolves with the send time. */
  async replace(uri: string, version: number, range: { start: { line: number; character: number }; end: { line: number; character: number } }, text: string): Promise<number> {
    const sent = performance.now();
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text }] });
    return sent;
  }

  request<T>(method: string, params: unknown, timeoutMs: number): Promise<T> {
    return this.deadline(this.connection.sendRequest(method, params) as Promise<T>, timeoutMs, method);
  }

  /** Resolves when a code lens refresh arrived after `since` (servers that support it send one per re-analysis). */
  async codeLensRefreshAfter(since: number, timeoutMs: number): Promise<number> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const found = this.codeLensRefreshes.find((at) => at >= since);
      if (found !== undefined) return found;
      if (this.exited) throw new Error(`${this.spec.name} ${this.exited}${this.stderrTail()}`);
      const remaining = end - performance.now();
      if (remaining <= 0) throw new Error(`${this.spec.name}: no codeLens/refresh within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, remaining);
        this.waiters.add(wake);
      });
    }
  }

  /** Every publish received for `uri`, in arrival order. */
  publishLog(uri: string): readonly Publish[] {
    return this.publishes.get(uri) ?? [];
  }

  peakRss(): number | null {
    return peakRssBytes(this.process.pid);
  }

  /** shutdown/exit with a short grace period, then SIGKILL. */
  async dispose(): Promise<void> {
    if (!this.exited) {
      try {
        await this.deadline(this.connection.sendRequest('shutdown'), 2000, 'shutdown');
        await this.connection.sendNotification('exit');
      } catch {
        // gone or hung: killed below
      }
    }
    await new Promise<void>((resolve) => {
      if (this.process.exitCode !== null || this.process.signalCode !== null) return resolve();
      const timer = setTimeout(() => {
        this.process.kill('SIGKILL');
        resolve();
      }, 2000);
      this.process.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.connection.dispose();
  }

  private fail(reason: string): void {
    this.exited ??= reason;
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private stderrTail(): string {
    const tail = this.stderr.join('').trim().slice(-600);
    return tail ? `; stderr: ${tail}` : '';
  }

  private async deadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.spec.name}: no answer to ${what} within ${timeoutMs} ms${this.stderrTail()}`)), timeoutMs);
    });
    let check = (): void => {};
    const exited = new Promise<never>((_, reject) => {
      check = () => {
        if (this.exited) reject(new Error(`${this.spec.name} ${this.exited}${this.stderrTail()}`));
      };
      check();
      this.waiters.add(check);
    });
    try {
      return await Promise.race([promise, failed, exited]);
    } finally {
      clearTimeout(timer);
      this.waiters.delete(check);
    }
  }
}
