/**
 * Runs inside the VS Code extension host with the built extension loaded: activation, diagnostics, quick fix,
 * hover, settings and commands, all through the public vscode API as a user's editor exercises them.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'green-ai.green-ai';

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const subscription = vscode.languages.onDidChangeDiagnostics(() => {
        subscription.dispose();
        resolve();
      });
      setTimeout(() => {
        subscription.dispose();
        resolve();
      }, 200);
    });
  }
}

function greenDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Green AI');
}

function codeOf(diagnostic: vscode.Diagnostic): string {
  const code = diagnostic.code;
  return typeof code === 'object' ? String(code.value) : String(code);
}

export function registerExtensionTests(): void {
  describe('Green AI in VS Code', () => {
    let document: vscode.TextDocument;

    before(async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the fixture workspace is open');
      document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'train.py'));
      await vscode.window.showTextDocument(document);
    });

    after(async () => {
      await vscode.workspace.getConfiguration('greenAI').update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    });

    it('activates on a Python file', async () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is installed`);
      await until(() => extension.isActive, 'activation');
    });

    it('publishes diagnostics with rule ids and ranges', async () => {
      const diagnostics = await until(() => {
        const list = greenDiagnostics(document.uri);
        return list.length >= 4 ? list : undefined;
      }, 'Green AI diagnostics');
      const summary = diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character}:${codeOf(d)}`).sort();
      assert.deepEqual(summary, ['18:8:GA101', '5:9:GA201', '5:9:GA202', '8:8:GA501']);
    });

    it('explains a finding on hover', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(8, 12));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(text, /GA501 · dataparallel-instead-of-ddp/);
      assert.match(text, /Why it costs energy/);
    });

    it('lists code actions and applies the GA201 quick fix', async () => {
      const workers = greenDiagnostics(document.uri).find((d) => codeOf(d) === 'GA201')!;
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, workers.range, vscode.CodeActionKind.QuickFix.value);
      const titles = actions.map((a) => a.title);
      assert.ok(titles.includes('Suppress GA201 on this line'), titles.join(' | '));
      assert.ok(titles.includes('Disable GA201 (dataloader-num-workers) in settings'), titles.join(' | '));
      const fix = actions.find((a) => a.title.startsWith('Set num_workers'));
      assert.ok(fix?.edit, 'the GA201 quick fix carries an edit');
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      assert.match(document.getText(), /DataLoader\(ds, batch_size=64, shuffle=True, num_workers=min\(8, os\.cpu_count\(\) or 1\)\)/);
      assert.match(document.getText(), /^import os$/m);
      await until(() => !greenDiagnostics(document.uri).some((d) => codeOf(d) === 'GA201'), 'GA201 to clear after the fix');
    });

    it('re-publishes when a setting turns a rule off', async () => {
      await vscode.workspace.getConfiguration('greenAI').update('rules', { GA501: 'off' }, vscode.ConfigurationTarget.Workspace);
      await until(() => !greenDiagnostics(document.uri).some((d) => codeOf(d) === 'GA501'), 'GA501 to disappear');
      await vscode.workspace.getConfiguration('greenAI').update('rules', undefined, vscode.ConfigurationTarget.Workspace);
      await until(() => greenDiagnostics(document.uri).some((d) => codeOf(d) === 'GA501'), 'GA501 to come back');
    });

    it('disables a rule through the code action command', async () => {
      await vscode.commands.executeCommand('greenAI.disableRule', 'GA202');
      assert.equal(vscode.workspace.getConfiguration('greenAI').get<Record<string, string>>('rules')?.GA202, 'off');
      await until(() => !greenDiagnostics(document.uri).some((d) => codeOf(d) === 'GA202'), 'GA202 to disappear');
    });

    it('keeps working after Green AI: Restart Server', async () => {
      await vscode.commands.executeCommand('greenAI.restartServer');
      const edit = new vscode.WorkspaceEdit();
      edit.insert(document.uri, new vscode.Position(document.lineCount, 0), '\nmodel2 = nn.DataParallel(model)\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      await until(() => greenDiagnostics(document.uri).filter((d) => codeOf(d) === 'GA501').length === 2, 'a second GA501 after the restart');
    });
  });
}
