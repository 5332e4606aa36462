/**
 * `Green AI: Open Footprint Report` (`greenAI.openReport`): a run's HTML report in a webview, with a chart of the
 * energy of every run of the same script. The report is the shared renderer's (the same as `green-ai report`);
 * reportPage.ts wraps it in a strict CSP (nonce'd styles, no script) and the webview may load nothing but the
 * extension's media folder.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import * as vscode from 'vscode';
import { listRuns, readRun, type RunRecord } from '../../../shared/src/runs/index';
import { formatHtml } from '../../../shared/src/runs/reports/html';
import { VERSION } from '../../../shared/src/version';
import { makeNonce, reportPage } from './reportPage';
import { energyChartSvg, formatWhen, ranScript } from './runRows';
import { allRunsDirectories } from './runTask';

const VIEW_TYPE = 'greenAI.report';
/** Runs shown in the chart, newest kept. */
const CHART_RUNS = 20;

export class ReportView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  /** The command handler: a run folder (from the Runs view or the lens), else a pick of all runs. */
  async open(target?: unknown): Promise<vscode.WebviewPanel | undefined> {
    const dir = typeof target === 'string' ? target : target instanceof vscode.Uri ? target.fsPath : await this.pickRun();
    if (!dir) return undefined;
    const result = await readRun(dir);
    if (!result.ok) {
      this.output.warn(`Report of ${dir}: ${result.problem}`);
      void vscode.window.showErrorMessage(`Green AI: cannot open the report of ${path.basename(dir)}: ${result.problem}`);
      return undefined;
    }
    const record = result.record;
    const title = `Footprint: ${record.label ?? record.id}`;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
        enableScripts: false,
        enableCommandUris: false,
        enableFindWidget: true,
        // The extension's media folder (dist/media) only; the report itself loads nothing.
        localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'media')],
      });
      this.panel.onDidDispose(() => (this.panel = undefined), undefined, this.disposables);
    } else {
      this.panel.title = title;
      this.panel.reveal();
    }
    this.panel.webview.html = reportPage({
      title,
      reportHtml: formatHtml({ runs: [record], problems: [], generatedAt: new Date(), version: VERSION, scope: dir }),
      chartSvg: energyChartSvg(await this.chartPoints(record, dir)),
      nonce: makeNonce((size) => randomBytes(size)),
      cspSource: this.panel.webview.cspSource,
    });
    return this.panel;
  }

  /** The energy of this run and the other runs of its script (same command script), oldest first. */
  private async chartPoints(current: RunRecord, currentDir: string) {
    const script = current.command.find((argument) => argument.endsWith('.py'));
    const scriptPath = script ? path.resolve(current.cwd, script) : undefined;
    const records: Array<{ record: RunRecord; dir: string }> = [];
    for (const summary of await listRuns(path.dirname(currentDir))) {
      if (summary.status === 'unreadable' || summary.status === 'running') continue;
      if (summary.dir === currentDir) {
        records.push({ record: current, dir: currentDir });
        continue;
      }
      const result = await readRun(summary.dir);
      if (!result.ok) continue;
      const sameScript = scriptPath ? ranScript(result.record, scriptPath) : result.record.command.join(' ') === current.command.join(' ');
      if (sameScript) records.push({ record: result.record, dir: summary.dir });
    }
    if (!records.some((entry) => entry.dir === currentDir)) records.push({ record: current, dir: currentDir });
    return records
      .sort((a, b) => Date.parse(a.record.startedAt) - Date.parse(b.record.startedAt))
      .slice(-CHART_RUNS)
      .map(({ record, dir }) => ({
        label: `${record.label ?? record.id} · ${new Date(record.startedAt).toLocaleString()}`,
        energyKWh: record.energy.energyKWh,
        current: dir === currentDir,
      }));
  }

  private async pickRun(): Promise<string | undefined> {
    const summaries = (await Promise.all(allRunsDirectories(this.output).map((dir) => listRuns(dir))))
      .flat()
      .filter((summary) => summary.status !== 'unreadable')
      .sort((a, b) => Date.parse(b.startedAt ?? '') - Date.parse(a.startedAt ?? ''));
    if (summaries.length === 0) {
      void vscode.window.showInformationMessage('Green AI: no profiled runs yet. Run a script with "Green AI: Run with Energy Profiling" first.');
      return undefined;
    }
    const now = new Date();
    const pick = await vscode.window.showQuickPick(
      summaries.map((summary) => ({
        label: summary.label ?? summary.id,
        description: [summary.startedAt ? formatWhen(summary.startedAt, now) : undefined, summary.status].filter(Boolean).join(' · '),
        detail: summary.command.join(' '),
        dir: summary.dir,
      })),
      { title: 'Open Footprint Report', placeHolder: 'Pick a run' },
    );
    return pick?.dir;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }
}
