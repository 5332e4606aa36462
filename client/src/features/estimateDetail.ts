/**
 * `greenAI.showEstimate` (the estimate code lens): validates the server's payload and opens the detail view,
 * a read-only Markdown document rendered in the Markdown preview beside the script.
 */
import * as vscode from 'vscode';
import { showMarkdownBeside } from './markdownPreview';
import { renderEstimateMarkdown } from '../../../shared/src/estimateReport';
import { showEstimateArguments } from '../../../shared/src/protocol';

const SCHEME = 'green-ai-estimate';

export class EstimateDetail implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);

  constructor(private readonly output: vscode.LogOutputChannel) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** The command handler; returns the detail document's URI (tests read it). */
  async show(...args: unknown[]): Promise<vscode.Uri | undefined> {
    const parsed = showEstimateArguments.safeParse(args);
    if (!parsed.success) {
      this.output.warn(`greenAI.showEstimate got an invalid payload: ${parsed.error.message}`);
      void vscode.window.showErrorMessage('Green AI: could not show the estimate (invalid data from the server; see the Green AI output).');
      return undefined;
    }
    const [payload] = parsed.data;
    const fileName = payload.uri.split('/').pop() ?? payload.uri;
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/Estimate ${fileName}.md` });
    this.contents.set(uri.toString(), renderEstimateMarkdown(payload, fileName));
    this.changed.fire(uri);
    await showMarkdownBeside(uri);
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
