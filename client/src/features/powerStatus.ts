/**
 * The power status bar item: the machine's total power draw now and, while a profiled run is followed, the run's
 * energy so far; clicking opens the power panel. While it is shown it holds the power monitor (sampling on); hidden
 * with `greenAI.power.showInStatusBar: false`, it lets sampling stop when no panel is visible.
 */
import * as vscode from 'vscode';
import { formatEnergy } from '../../../shared/src/carbon/index';
import { SHOW_POWER_PANEL_COMMAND, type PanelView } from '../../../shared/src/power/panelProtocol';
import type { Disposable, PowerMonitor } from './powerMonitor';

export class PowerStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('greenAI.power', vscode.StatusBarAlignment.Right, 99);
  private readonly subscriptions: Disposable[] = [];
  private hold: Disposable | undefined;
  /** A run's energy reported from outside the monitor (e.g. a run recorded by another process). */
  private externalRun: { label: string; text: string } | undefined;
  private status: string | null = null;

  constructor(
    private readonly monitor: PowerMonitor,
    enabled: boolean,
  ) {
    this.item.name = 'Green AI Power';
    this.item.command = SHOW_POWER_PANEL_COMMAND;
    this.item.text = '$(zap) … W';
    this.item.tooltip = 'Green AI: measuring power… Click for the power panel.';
    this.subscriptions.push(
      monitor.onUpdate((update) => this.render(update.view)),
      monitor.onStatus((message) => {
        this.status = message;
        this.render(monitor.latest());
      }),
    );
    this.setEnabled(enabled);
  }

  /** `greenAI.power.showInStatusBar`. */
  setEnabled(enabled: boolean): void {
    if (enabled && !this.hold) {
      this.hold = this.monitor.hold();
      this.item.show();
    } else if (!enabled && this.hold) {
      this.hold.dispose();
      this.hold = undefined;
      this.item.hide();
    }
  }

  get enabled(): boolean {
    return this.hold !== undefined;
  }

  /**
   * Shows the energy of a running job measured elsewhere (a run recorded by another process); `undefined` clears it.
   * Runs followed with PowerMonitor.followRun show without this, from the panel's own samples.
   */
  showRunEnergy(label: string, kWh: number | undefined): void {
    this.externalRun = kWh === undefined ? undefined : { label, text: formatEnergy(kWh) };
    this.render(this.monitor.latest());
  }

  private render(view: PanelView | null): void {
    if (this.status) {
      this.item.text = '$(zap) — W';
      this.item.tooltip = `Green AI: ${this.status}. Click for the power panel.`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      return;
    }
    this.item.backgroundColor = undefined;
    if (!view) return;
    // A run being followed now wins over the recorded energy of one that ended.
    const live = this.monitor.runEnergy();
    const run = live ? { label: live.label, text: live.text, note: 'so far' } : this.externalRun ? { ...this.externalRun, note: 'recorded' } : undefined;
    const watts = `${Math.round(view.totalWatts)} W`;
    this.item.text = run ? `$(zap) ${watts} · ${run.label} ${run.text}` : `$(zap) ${watts}`;
    const lines = view.components.map(
      (component) => `${component.name}: ${component.watts === null ? 'no reading' : `${Math.round(component.watts)} W`} (${component.source})`,
    );
    const estimated = view.components.some((component) => component.method === 'estimated');
    this.item.tooltip = [
      `Green AI: ${watts} in total now${estimated ? ' (partly estimated)' : ''}`,
      ...lines,
      run ? `${run.label}: ${run.text} (${run.note})` : undefined,
      'Click for the power panel.',
    ]
      .filter((line) => line !== undefined)
      .join('\n');
  }

  dispose(): void {
    this.hold?.dispose();
    this.hold = undefined;
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }
}
