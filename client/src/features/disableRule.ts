/** `greenAI.disableRule`: the "Disable GAxxx in settings" code action writes `greenAI.rules.GAxxx = "off"`. */
import * as vscode from 'vscode';
import { disableRuleArguments } from '../../../shared/src/protocol';

export async function disableRule(...args: unknown[]): Promise<void> {
  const parsed = disableRuleArguments.safeParse(args);
  if (!parsed.success) {
    void vscode.window.showErrorMessage(`Green AI: greenAI.disableRule expects a rule id such as GA201, got ${JSON.stringify(args)}.`);
    return;
  }
  const [ruleId] = parsed.data;
  const configuration = vscode.workspace.getConfiguration('greenAI');
  const current = configuration.get<Record<string, string>>('rules') ?? {};
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await configuration.update('rules', { ...current, [ruleId]: 'off' }, target);
  void vscode.window.showInformationMessage(`Green AI: ${ruleId} is off in ${target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user'} settings.`);
}
