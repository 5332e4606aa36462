/**
 * `Green AI: Show Power Panel`: a webview with a live chart of watts per component, GPU utilisation and memory,
 * and the energy and CO2e since the panel opened (or since a followed run began), each number with its source.
 * The page is dist/media/powerPanel.{js,css} (built from client/media/ with uPlot bundled in; nothing remote) under a
 * strict Content-Security-Policy with a nonce. While the panel is visible it holds the power monitor, so sampling
 * runs; messages both ways are validated with shared/src/power/panelProtocol.ts.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  describeIssue,
  fromWebview,
  panelState,
  POWER_PANEL_VIEW_TYPE,
  type ToWebview,
} from '../../../shared/src/power/panelProtocol';
import type { Disposable, PowerMonitor } from './powerMonitor';

const MEDIA_FOLDER = ['dist', 'media'];

export class PowerPanel implements vscode.Disposable, vscode.WebviewPanelSerializer<unknown> {
  private panel: vscode.WebviewPanel | undefined;
  private panelSubscriptions: vscode.Disposable[] = [];
  private hold: Disposable | undefined;
  private readonly monitorSubscriptions: Disposable[];
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly monitor: PowerMonitor,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.registration = vscode.window.registerWebviewPanelSerializer(POWER_PANEL_VIEW_TYPE, this);
    this.monitorSubscriptions = [
      monitor.onUpdate((update) => this.post({ type: 'sample', point: update.point, series: update.series, view: update.view })),
      monitor.onStatus((message) => this.post({ type: 'status', message })),
    ];
  }

  /** The command: reveals the panel, or opens it and starts counting energy from now. */
  show(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal();
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(POWER_PANEL_VIEW_TYPE, 'Green AI: Power', vscode.ViewColumn.Beside, this.webviewOptions());
    this.monitor.resetSession('panel opened');
    this.adopt(panel);
    return panel;
  }

  /** A panel left open when the window closed, restored with its last chart (the webview's own saved state). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const parsed = panelState.safeParse(state);
    if (state !== undefined && state !== null && !parsed.success) {
      this.output.warn(`power panel: ignored saved state that does not validate (${describeIssue(parsed.error)})`);
    }
    panel.webview.options = this.webviewOptions();
    this.monitor.resetSession('panel opened');
    this.adopt(panel);
  }

  /** For the profiled-run feature: energy and CO2e count from the run's start, under its label, until endRun(). */
  followRun(label: string, startMs: number): void {
    this.monitor.followRun(label, startMs);
  }

  endRun(): void {
    this.monitor.endRun();
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, ...MEDIA_FOLDER)],
    };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.webview.html = this.html(panel.webview);
    this.updateHold(panel.visible);
    this.panelSubscriptions = [
      panel.onDidChangeViewState((event) => this.updateHold(event.webviewPanel.visible)),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidDispose(() => {
        this.updateHold(false);
        for (const subscription of this.panelSubscriptions) subscription.dispose();
        this.panelSubscriptions = [];
        this.panel = undefined;
      }),
    ];
  }

  private updateHold(visible: boolean): void {
    if (visible && !this.hold) this.hold = this.monitor.hold();
    else if (!visible && this.hold) {
      this.hold.dispose();
      this.hold = undefined;
    }
  }

  private receive(raw: unknown): void {
    const parsed = fromWebview.safeParse(raw);
    if (!parsed.success) {
      this.output.warn(`power panel: ignored a malformed message from the webview: ${describeIssue(parsed.error)}`);
      return;
    }
    switch (parsed.data.type) {
      case 'ready': {
        const snapshot = this.monitor.snapshot();
        this.post({ type: 'snapshot', history: snapshot.history, series: snapshot.series, view: snapshot.view, status: snapshot.status });
        break;
      }
      case 'resetSession':
        this.monitor.resetSession('reset');
        break;
    }
  }

  private post(message: ToWebview): void {
    // A hidden webview is torn down (no retainContextWhenHidden); it asks for a snapshot when shown again.
    if (!this.panel?.visible) return;
    void this.panel.webview.postMessage(message);
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const media = vscode.Uri.joinPath(this.extensionUri, ...MEDIA_FOLDER);
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'powerPanel.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'powerPanel.css'));
    // The page loads one stylesheet and one script from dist/media and nothing else (no images, fonts or connections).
    const csp = ["default-src 'none'", `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Green AI: Power</title>
</head>
<body>
<header>
  <div class="total"><span id="total-watts" class="big">… W</span> <span class="muted">now</span></div>
  <div class="session">
    <span id="session-energy" class="big">—</span>
    <span id="session-co2e" class="big">—</span>
    <span id="session-label" class="muted"></span>
    <button id="reset" type="button" title="Count energy and CO2e from now">Reset</button>
  </div>
  <div id="carbon-note" class="muted"></div>
</header>
<div id="status" class="status" hidden></div>
<div id="notes" class="muted"></div>
<div id="chart" aria-label="Watts per component over time"></div>
<table id="components">
  <thead><tr><th>Component</th><th>Power</th><th>Utilisation</th><th>Memory</th><th>Energy</th><th>Source</th></tr></thead>
  <tbody></tbody>
</table>
<details id="sources"><summary>How each component is measured</summary><ul></ul></details>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.updateHold(false);
    this.registration.dispose();
    for (const subscription of [...this.monitorSubscriptions, ...this.panelSubscriptions]) subscription.dispose();
    this.panel?.dispose();
  }
}
