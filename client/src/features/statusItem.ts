/** The status bar item: server state and the last analysis time, from the server's greenAI/status notifications. */
import * as vscode from 'vscode';
import type { StatusParams } from '../../../shared/src/protocol';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('greenAI.status', vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = 'Green AI';
    this.item.command = 'greenAI.showOutput';
    this.starting();
    this.item.show();
  }

  starting(): void {
    this.item.text = '$(sync~spin) Green AI';
    this.item.tooltip = 'Green AI: starting the language server…';
    this.item.backgroundColor = undefined;
  }

  stopped(reason: string): void {
    this.item.text = '$(error) Green AI';
    this.item.tooltip = `Green AI: ${reason} — click to show the log`;
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
  }

  update(status: StatusParams): void {
    if (status.state === 'error') {
      this.item.text = '$(warning) Green AI';
      this.item.tooltip = `Green AI: ${status.message ?? 'analysis failed'} — click to show the log`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      return;
    }
    const findings = status.findings ?? 0;
    this.item.text = `$(pulse) Green AI${findings > 0 ? ` · ${findings}` : ''}`;
    const file = status.uri ? vscode.workspace.asRelativePath(vscode.Uri.parse(status.uri)) : 'the file';
    const time = status.durationMs !== undefined ? ` in ${status.durationMs.toFixed(1)} ms` : '';
    this.item.tooltip = `Green AI: ${findings} finding${findings === 1 ? '' : 's'} in ${file} (analysed${time}). Click to show the log.`;
    this.item.backgroundColor = undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
