/**
 * The client-side code lenses above a Python script's entry point: "▶ Run with energy profiling" (or why it is
 * disabled in Restricted Mode) and, once the script has been run, "measured 3.1 kWh last run (estimate was 2.6 kWh)"
 * from its latest run.json. The language server's estimate lenses are separate and unchanged.
 */
import * as vscode from 'vscode';
import { listRuns, readRun, type RunRecord } from '../../../shared/src/runs/index';
import { findEntryPoint } from './entryPoint';
import { calibrationTitle, latestRunOf } from './runRows';
import { RUN_WITH_PROFILING_COMMAND, runsDirectoryFor, UNTRUSTED_REASON } from './runTask';

export const OPEN_REPORT_COMMAND = 'greenAI.openReport';
const SHOW_UNTRUSTED_COMMAND = 'greenAI.runWithProfiling.untrusted';

export class RunLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly disposables: vscode.Disposable[];
  private readonly cache = new Map<string, Promise<Array<{ record: RunRecord; dir: string }>>>();

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.disposables = [
      vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, this),
      vscode.commands.registerCommand(SHOW_UNTRUSTED_COMMAND, async () => {
        const choice = await vscode.window.showWarningMessage(`Green AI: ${UNTRUSTED_REASON}`, 'Manage Workspace Trust');
        if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()),
      this.changed,
    ];
  }

  /** Re-reads the runs (after a run ends or the runs folder changes). */
  refresh(): void {
    this.cache.clear();
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    const entry = findEntryPoint(document.getText());
    if (!entry) return [];
    const range = new vscode.Range(entry.line, 0, entry.line, 0);
    const run = vscode.workspace.isTrusted
      ? new vscode.CodeLens(range, { title: '▶ Run with energy profiling', command: RUN_WITH_PROFILING_COMMAND, arguments: [document.uri], tooltip: 'Run this script as a Green AI task that records its measured energy and CO2e' })
      : new vscode.CodeLens(range, { title: '▶ Run with energy profiling (disabled in Restricted Mode)', command: SHOW_UNTRUSTED_COMMAND, tooltip: UNTRUSTED_REASON });
    const lenses = [run];
    const latest = await this.latestRun(document.uri);
    if (latest && !token.isCancellationRequested) {
      lenses.push(
        new vscode.CodeLens(range, {
          title: calibrationTitle(latest.record),
          command: OPEN_REPORT_COMMAND,
          arguments: [latest.dir],
          tooltip: `Open the report of ${latest.record.label ?? latest.record.id}`,
        }),
      );
    }
    return lenses;
  }

  /** The latest finished run of a script, from the cached records of its runs folder. */
  private async latestRun(script: vscode.Uri): Promise<{ record: RunRecord; dir: string } | undefined> {
    try {
      const runs = await this.finishedRuns(runsDirectoryFor(script, this.output));
      const latest = latestRunOf(runs.map((run) => ({ command: run.record.command, cwd: run.record.cwd, startedAt: run.record.startedAt, run })), script.fsPath);
      return latest?.run;
    } catch (error) {
      this.output.warn(`Could not read the runs of ${script.fsPath}: ${String(error)}`);
      return undefined;
    }
  }

  /**
   * Every finished run under a runs folder, read once and kept until the folder changes (refresh): lenses are asked
   * for on every edit, and reading each run.json each time would grow with the number of runs.
   */
  private finishedRuns(runsDirectory: string): Promise<Array<{ record: RunRecord; dir: string }>> {
    let runs = this.cache.get(runsDirectory);
    if (!runs) {
      runs = (async () => {
        const finished = (await listRuns(runsDirectory)).filter((summary) => summary.status !== 'running' && summary.status !== 'unreadable');
        const results = await Promise.all(finished.map(async (summary) => ({ dir: summary.dir, result: await readRun(summary.dir) })));
        return results.flatMap(({ dir, result }) => (result.ok ? [{ record: result.record, dir }] : []));
      })();
      this.cache.set(runsDirectory, runs);
    }
    return runs;
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}
