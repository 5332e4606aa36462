/**
 * Project configuration in VS Code: the client passes only explicitly set settings to the server, so a
 * `.green-ai.toml` applies unless the user sets the same key; problems in it are diagnostics on the TOML file.
 * Works in its own folder (proj/) of the fixture workspace and removes it afterwards.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const TRAIN = `import torch
from torch.utils.data import DataLoader
model = torch.nn.Linear(8, 2).cuda()
loader = DataLoader(dataset, batch_size=64)
model = torch.nn.DataParallel(model)
`;

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

const green = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Green AI');
const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
const encode = (text: string) => new TextEncoder().encode(text);

export function registerProjectConfigTests(): void {
  describe('project configuration (.green-ai.toml) in VS Code', () => {
    let folder: vscode.Uri;
    let train: vscode.Uri;
    let config: vscode.Uri;

    before(async () => {
      const root = vscode.workspace.workspaceFolders?.[0];
      assert.ok(root, 'the fixture workspace is open');
      folder = vscode.Uri.joinPath(root.uri, 'proj');
      train = vscode.Uri.joinPath(folder, 'train.py');
      config = vscode.Uri.joinPath(folder, '.green-ai.toml');
      await vscode.workspace.fs.writeFile(train, encode(TRAIN));
      // maxFileSizeMB this small turns analysis into one "too large" note: visible proof that the project value applies.
      await vscode.workspace.fs.writeFile(config, encode('maxFileSizeMB = 0.00001\n'));
    });

    after(async () => {
      await vscode.workspace.getConfiguration('greenAI').update('maxFileSizeMB', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(folder, { recursive: true });
    });

    it('applies the project file where the user set nothing (defaults are not sent as explicit)', async () => {
      const document = await vscode.workspace.openTextDocument(train);
      await vscode.window.showTextDocument(document);
      const diagnostics = await until(() => (green(train).length > 0 ? green(train) : undefined), 'diagnostics on proj/train.py');
      assert.deepEqual(diagnostics.map(codeOf), ['GA000'], diagnostics.map((d) => d.message).join(' | '));
    });

    it('a setting the user sets overrides the project file', async () => {
      await vscode.workspace.getConfiguration('greenAI').update('maxFileSizeMB', 2, vscode.ConfigurationTarget.Workspace);
      await until(() => green(train).some((d) => codeOf(d) === 'GA501'), 'the full analysis (GA501)');
      await vscode.workspace.getConfiguration('greenAI').update('maxFileSizeMB', undefined, vscode.ConfigurationTarget.Workspace);
      await until(() => green(train).every((d) => codeOf(d) === 'GA000') && green(train).length === 1, 'the project value again');
    });

    it('shows an invalid key as a diagnostic on the open TOML file, and follows its edits', async () => {
      const document = await vscode.workspace.openTextDocument(config);
      const editor = await vscode.window.showTextDocument(document);
      await editor.edit((edit) => edit.replace(new vscode.Range(0, 0, document.lineCount, 0), 'maxFileSizeMB = "huge"\n'));
      const onToml = await until(() => (green(config).length > 0 ? green(config) : undefined), 'a diagnostic on .green-ai.toml');
      assert.equal(onToml.length, 1);
      assert.equal(onToml[0]!.range.start.line, 0);
      assert.equal(onToml[0]!.severity, vscode.DiagnosticSeverity.Warning);
      await until(() => green(train).some((d) => codeOf(d) === 'GA501'), 'the invalid key falls back to the default: full analysis');
    });
  });
}
