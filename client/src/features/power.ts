/**
 * Wires live power measurement into VS Code: one PowerMonitor fed by the `greenAI.power.*`, `greenAI.location` and
 * `greenAI.carbon.overrides` settings, the power panel (`greenAI.showPowerPanel`) and the power status bar item.
 * Other features (profiled runs) get the returned handles: `panel.followRun(label, startMs)` / `panel.endRun()`
 * count energy and CO2e from a run's start, and `status.showRunEnergy(label, kWh)` shows energy measured elsewhere.
 */
import * as vscode from 'vscode';
import { createPowerSampler } from '../../../shared/src/power/index';
import { SHOW_POWER_PANEL_COMMAND } from '../../../shared/src/power/panelProtocol';
import { parseSettings, SETTINGS_SECTION } from '../../../shared/src/settings';
import { PowerMonitor, type PowerMonitorSettings } from './powerMonitor';
import { PowerPanel } from './powerPanel';
import { PowerStatus } from './powerStatus';

export interface PowerFeatures {
  monitor: PowerMonitor;
  panel: PowerPanel;
  status: PowerStatus;
}

/** Keys read here; a change to any of them reconfigures the monitor. */
const KEYS = ['power.intervalMs', 'power.nvidiaSmiPath', 'power.powercapRoot', 'power.showInStatusBar', 'location', 'carbon.overrides'] as const;
/** Settings that name something to run or read on this machine: taken from user settings only in Restricted Mode. */
const MACHINE_PATH_KEYS = ['power.nvidiaSmiPath', 'power.powercapRoot'] as const;

export function registerPower(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): PowerFeatures {
  const reported = new Set<string>();
  const read = () => readPowerSettings(output, reported);
  const initial = read();
  const monitor = new PowerMonitor(initial.monitor, {
    createSampler: (options) => createPowerSampler(options),
    now: () => Date.now(),
    log: (level, message) => output[level](message),
  });
  const status = new PowerStatus(monitor, initial.showInStatusBar);
  const panel = new PowerPanel(context.extensionUri, monitor, output);
  const reconfigure = () => {
    const next = read();
    monitor.configure(next.monitor);
    status.setEnabled(next.showInStatusBar);
  };
  context.subscriptions.push(
    monitor,
    status,
    panel,
    vscode.commands.registerCommand(SHOW_POWER_PANEL_COMMAND, () => {
      panel.show();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (KEYS.some((key) => event.affectsConfiguration(`${SETTINGS_SECTION}.${key}`))) reconfigure();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(reconfigure),
  );
  return { monitor, panel, status };
}

/** The validated settings; an invalid power.* value is reported once (naming its key) and falls back to its default. */
function readPowerSettings(
  output: vscode.LogOutputChannel,
  reported: Set<string>,
): { monitor: PowerMonitorSettings; showInStatusBar: boolean } {
  const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) raw[key] = configuration.get(key);
  const notes: string[] = [];
  if (!vscode.workspace.isTrusted) {
    // VS Code already drops workspace values of these restricted settings; read the user value explicitly all the same.
    for (const key of MACHINE_PATH_KEYS) raw[key] = configuration.inspect(key)?.globalValue;
    notes.push(
      `Restricted Mode: ${MACHINE_PATH_KEYS.map((key) => `${SETTINGS_SECTION}.${key}`).join(' and ')} come from user settings only; workspace values apply once the folder is trusted.`,
    );
  }
  const { settings, problems } = parseSettings(raw);
  // Problems with location and overrides are the language server's to report; the power keys are ours.
  for (const problem of problems) {
    if (problem.key.startsWith(`${SETTINGS_SECTION}.power.`)) report(output, reported, `Invalid setting ${problem.key}: ${problem.message}`);
  }
  return {
    monitor: {
      sampler: {
        intervalMs: settings['power.intervalMs'],
        nvidiaSmiPath: settings['power.nvidiaSmiPath'],
        powercapRoot: settings['power.powercapRoot'],
      },
      location: settings.location,
      carbonOverrides: settings['carbon.overrides'],
      notes,
    },
    showInStatusBar: settings['power.showInStatusBar'],
  };
}

function report(output: vscode.LogOutputChannel, reported: Set<string>, message: string): void {
  if (reported.has(message)) return;
  reported.add(message);
  output.warn(message);
  void vscode.window.showWarningMessage(`Green AI: ${message}`);
}
