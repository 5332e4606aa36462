/**
 * A `green-ai` task written in tasks.json, as users do to pass their own arguments: VS Code hands the definition to the
 * extension unresolved, so the extension resolves `${file}` and friends before it builds the command line.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

export function registerTaskTests(): void {
  describe('green-ai tasks from tasks.json', () => {
    it('resolves ${file}, ${fileBasenameNoExtension} and ${workspaceFolder} in the profiled command line', async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the fixture workspace is open');
      const script = vscode.Uri.joinPath(folder.uri, 'train.py');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(script));
      const tasks = await vscode.tasks.fetchTasks({ type: 'green-ai' });
      const task = tasks.find((candidate) => candidate.name === 'profile the current file');
      assert.ok(task, `the tasks.json task is listed; got ${tasks.map((t) => t.name).join(', ') || 'none'}`);
      let execution = task.execution;
      if (!(execution instanceof vscode.ProcessExecution)) {
        // Some VS Code versions list configured tasks before the provider resolves them: running it resolves it.
        const started = new Promise<vscode.TaskExecution>((resolve) => {
          const subscription = vscode.tasks.onDidStartTask((event) => {
            if (event.execution.task.name !== task.name) return;
            subscription.dispose();
            resolve(event.execution);
          });
        });
        await vscode.tasks.executeTask(task);
        const running = await started;
        execution = running.task.execution;
        running.terminate();
      }
      assert.ok(execution instanceof vscode.ProcessExecution, 'a process execution (an argument array, no shell)');
      const args = execution.args;
      const separator = args.indexOf('--');
      assert.ok(separator > 0, args.join(' '));
      const after = args.slice(separator + 1);
      assert.equal(after.at(-5), script.fsPath, after.join(' '));
      assert.deepEqual(after.slice(-4), ['--run-name', 'train', '--data', `${folder.uri.fsPath}/data`]);
      assert.ok(!args.some((arg) => arg.includes('${')), `no unresolved variable: ${args.join(' ')}`);
      // tasks.json's label is also the definition's `label`: the run is named after the task.
      assert.equal(args[args.indexOf('--label') + 1], 'profile the current file');
    });
  });
}
