/**
 * The "Green AI Runs" tree view (`greenAI.runs`): every profiled run under the workspace's runs folders, newest
 * first, with open report, compare two runs (a Markdown table side by side), delete (after confirmation) and reveal
 * files. A FileSystemWatcher on each runs folder keeps it current while runs start and finish.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { showMarkdownBeside } from './markdownPreview';
import { isRunDir, listRuns, readRun, type RunRecord, type RunSummary } from '../../../shared/src/runs/index';
import { compareMarkdown, distinctNames, runRow } from './runRows';
import { allRunsDirectories } from './runTask';
import { OPEN_REPORT_COMMAND } from './runLens';

export const RUNS_VIEW_ID = 'greenAI.runs';
export const RUNS_COMMANDS = {
  refresh: 'greenAI.runs.refresh',
  compare: 'greenAI.runs.compare',
  delete: 'greenAI.runs.delete',
  reveal: 'greenAI.runs.reveal',
  openReport: 'greenAI.runs.openReport',
} as const;
const COMPARE_SCHEME = 'green-ai-compare';
/** Quiet time before re-listing: a finishing run writes several files in a burst. */
const REFRESH_DEBOUNCE_MS = 250;

export class RunItem extends vscode.TreeItem {
  constructor(
    readonly summary: RunSummary,
    readonly record: RunRecord | undefined,
  ) {
    const row = runRow(summary, record, new Date());
    super(row.label, vscode.TreeItemCollapsibleState.None);
    this.id = summary.dir;
    this.description = row.description;
    this.tooltip = row.tooltip;
    this.iconPath = new vscode.ThemeIcon(row.icon);
    this.resourceUri = vscode.Uri.file(summary.dir);
    this.contextValue = summary.status === 'unreadable' ? 'greenAI.run.unreadable' : 'greenAI.run';
    if (summary.status !== 'unreadable') this.command = { title: 'Open Report', command: OPEN_REPORT_COMMAND, arguments: [summary.dir] };
  }
}

export class RunsView implements vscode.TreeDataProvider<RunItem>, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changedTree = new vscode.EventEmitter<RunItem | undefined>();
  readonly onDidChangeTreeData = this.changedTree.event;
  private readonly changedDocument = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changedDocument.event;
  private readonly runsChanged = new vscode.EventEmitter<void>();
  /** Fires (debounced) when the runs folders change on disk. */
  readonly onDidChangeRuns = this.runsChanged.event;
  private readonly comparisons = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private watchers: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly view: vscode.TreeView<RunItem>;

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: this, canSelectMany: true });
    this.disposables.push(
      this.view,
      this.changedTree,
      this.changedDocument,
      this.runsChanged,
      vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, this),
      vscode.commands.registerCommand(RUNS_COMMANDS.refresh, () => this.refresh()),
      vscode.commands.registerCommand(RUNS_COMMANDS.compare, (item?: RunItem, selected?: RunItem[]) => this.compare(item, selected)),
      vscode.commands.registerCommand(RUNS_COMMANDS.delete, (item?: RunItem, selected?: RunItem[]) => this.delete(item, selected)),
      vscode.commands.registerCommand(RUNS_COMMANDS.reveal, (item?: RunItem) => this.reveal(item)),
      vscode.commands.registerCommand(RUNS_COMMANDS.openReport, (item?: RunItem) =>
        vscode.commands.executeCommand(OPEN_REPORT_COMMAND, item?.summary.dir ?? this.view.selection[0]?.summary.dir),
      ),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.watch()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('greenAI.runs.directory')) this.watch();
      }),
    );
    this.watch();
  }

  /** Watches run.json / run.partial.json under every runs folder (created, finished, deleted). */
  private watch(): void {
    for (const watcher of this.watchers) watcher.dispose();
    this.watchers = allRunsDirectories(this.output).map((dir) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '**/{run.json,run.partial.json}'));
      const changed = () => this.scheduleRefresh();
      watcher.onDidCreate(changed);
      watcher.onDidChange(changed);
      watcher.onDidDelete(changed);
      return watcher;
    });
    this.refresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_DEBOUNCE_MS);
  }

  refresh(): void {
    this.refreshTimer = undefined;
    this.changedTree.fire(undefined);
    this.runsChanged.fire();
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  async getChildren(parent?: RunItem): Promise<RunItem[]> {
    if (parent) return [];
    const summaries = (await Promise.all(allRunsDirectories(this.output).map((dir) => listRuns(dir)))).flat();
    summaries.sort((a, b) => Date.parse(b.startedAt ?? '') - Date.parse(a.startedAt ?? '') || b.dir.localeCompare(a.dir));
    return Promise.all(
      summaries.map(async (summary) => {
        if (summary.status === 'unreadable') return new RunItem(summary, undefined);
        const result = await readRun(summary.dir);
        return new RunItem(summary, result.ok ? result.record : undefined);
      }),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.comparisons.get(uri.toString()) ?? '';
  }

  /** Two runs side by side: the two selected, or the clicked one and one picked from a list. */
  private async compare(item: RunItem | undefined, selected: RunItem[] | undefined): Promise<vscode.Uri | undefined> {
    let pair = (selected && selected.length > 0 ? selected : this.view.selection).filter((run) => run.record);
    if (pair.length === 0 && item?.record) pair = [item];
    if (pair.length > 2) {
      void vscode.window.showWarningMessage('Green AI: select two runs to compare.');
      return undefined;
    }
    if (pair.length < 2) {
      const first = pair[0];
      const others = (await this.getChildren()).filter((run) => run.record && run.summary.dir !== first?.summary.dir);
      const picks = await vscode.window.showQuickPick(
        others.map((run) => ({ label: run.label as string, description: String(run.description ?? ''), run })),
        { title: first ? `Compare ${first.label as string} with…` : 'Compare two runs', canPickMany: !first, placeHolder: first ? 'Pick a run' : 'Pick two runs' },
      );
      const picked = Array.isArray(picks) ? picks.map((pick) => pick.run) : picks ? [picks.run] : [];
      pair = first ? [first, ...picked] : picked;
      if (pair.length !== 2) {
        if (picked.length > 0) void vscode.window.showWarningMessage('Green AI: pick exactly two runs to compare.');
        return undefined;
      }
    }
    // Oldest first, so that "change" reads as what happened from one run to the next.
    const [a, b] = [...pair].sort((x, y) => Date.parse(x.record!.startedAt) - Date.parse(y.record!.startedAt)) as [RunItem, RunItem];
    const [nameA, nameB] = distinctNames(a.record!, b.record!);
    const uri = vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/Compare ${nameA} vs ${nameB}.md` });
    this.comparisons.set(uri.toString(), compareMarkdown(a.record!, b.record!));
    this.changedDocument.fire(uri);
    await showMarkdownBeside(uri);
    return uri;
  }

  /** Deletes the selected run folders after a modal confirmation; only folders that are runs are touched. */
  private async delete(item: RunItem | undefined, selected: RunItem[] | undefined): Promise<void> {
    const targets = selected && selected.length > 0 ? selected : item ? [item] : [...this.view.selection];
    if (targets.length === 0) return;
    const names = targets.map((run) => run.label as string);
    const question = targets.length === 1 ? `Delete the run "${names[0]}" and its files?` : `Delete ${targets.length} runs and their files?`;
    const choice = await vscode.window.showWarningMessage(question, { modal: true, detail: targets.map((run) => run.summary.dir).join('\n') }, 'Delete');
    if (choice !== 'Delete') return;
    for (const run of targets) {
      if (!(await isRunDir(run.summary.dir))) {
        this.output.warn(`Not deleting ${run.summary.dir}: it has no run.json or run.partial.json.`);
        continue;
      }
      try {
        await rm(run.summary.dir, { recursive: true, force: true });
        this.output.info(`Deleted run ${run.summary.dir}`);
      } catch (error) {
        void vscode.window.showErrorMessage(`Green AI: could not delete ${run.summary.dir}: ${String(error)}`);
      }
    }
    this.refresh();
  }

  /** The run folder in the OS file manager on the desktop; in the Explorer (or its run.json) in a browser or remote window. */
  private async reveal(item: RunItem | undefined): Promise<void> {
    const run = item ?? this.view.selection[0];
    if (!run) return;
    const folder = vscode.Uri.file(run.summary.dir);
    if (vscode.env.uiKind === vscode.UIKind.Desktop && vscode.env.remoteName === undefined) {
      await vscode.commands.executeCommand('revealFileInOS', folder);
    } else if (vscode.workspace.getWorkspaceFolder(folder)) {
      await vscode.commands.executeCommand('revealInExplorer', folder);
    } else {
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(run.summary.dir, 'run.json')));
    }
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const watcher of this.watchers) watcher.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }
}
