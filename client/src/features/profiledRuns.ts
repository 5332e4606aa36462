/**
 * Wires the profiled-run features together for extension.ts: the `green-ai` task provider and run command, the
 * run lenses, the Runs view and the report webview; the lenses and view follow the runs folders, and a finished
 * run is announced with its figures and a button to its report.
 */
import * as vscode from 'vscode';
import { formatEnergy, formatMass } from '../../../shared/src/carbon/format';
import { listRuns, readRun } from '../../../shared/src/runs/index';
import { ReportView } from './reportView';
import { OPEN_REPORT_COMMAND, RunLens } from './runLens';
import { measurementKind } from './runRows';
import { RunsView } from './runsView';
import { RUN_WITH_PROFILING_COMMAND, RunTasks, type RunEvent, type RunFollower } from './runTask';

export interface ProfiledRuns {
  /** Tells `follower` (the power panel and status item) when each profiled run starts and ends, and its energy. */
  setFollower(follower: RunFollower | undefined): void;
}

export function registerProfiledRuns(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): ProfiledRuns {
  const tasks = new RunTasks(context, output);
  const lens = new RunLens(output);
  const view = new RunsView(output);
  const report = new ReportView(context.extensionUri, output);
  context.subscriptions.push(
    tasks,
    lens,
    view,
    report,
    vscode.commands.registerCommand(RUN_WITH_PROFILING_COMMAND, (target?: unknown) => tasks.runScript(target)),
    vscode.commands.registerCommand(OPEN_REPORT_COMMAND, (target?: unknown) => report.open(target)),
    view.onDidChangeRuns(() => lens.refresh()),
    tasks.onDidEndRun((event) => {
      view.refresh();
      void announce(event, output, tasks);
    }),
  );
  return { setFollower: (follower) => tasks.setFollower(follower) };
}

/** "Green AI: train finished — 3.1 kWh · 1.2 kg CO2e (measured)" with Open Report, from the run the task recorded. */
async function announce(event: RunEvent, output: vscode.LogOutputChannel, tasks: RunTasks): Promise<void> {
  const runs = (await listRuns(event.runsDirectory)).filter((summary) => summary.label === event.label);
  const latest = runs.sort((a, b) => Date.parse(b.startedAt ?? '') - Date.parse(a.startedAt ?? ''))[0];
  if (!latest) {
    output.warn(`Run ${event.label} ended (exit ${event.exitCode ?? '?'}) but no run folder with that label is in ${event.runsDirectory}.`);
    return;
  }
  const result = await readRun(latest.dir);
  if (!result.ok) {
    void vscode.window.showWarningMessage(`Green AI: run ${event.label} ended but its record cannot be read: ${result.problem}`);
    return;
  }
  const { record } = result;
  const follower = tasks.currentFollower;
  if (follower?.showRunEnergy) tasks.tellFollower(`show the energy of ${event.label}`, () => follower.showRunEnergy?.(event.label, record.energy.energyKWh));
  const message = `Green AI: ${event.label} ${record.status} — ${formatEnergy(record.energy.energyKWh)} · ${formatMass(record.co2eKg)} CO2e (${measurementKind(record)})`;
  const choice = await vscode.window.showInformationMessage(message, 'Open Report');
  if (choice) await vscode.commands.executeCommand(OPEN_REPORT_COMMAND, latest.dir);
}
