import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import {
  defaultRunLabel,
  describeInterpreter,
  interpreterFromPythonApi,
  parseRunTaskDefinition,
  resolveInterpreter,
  resolveRunsDirectory,
  resolveTaskVariables,
  runCommandLine,
  type TaskVariableContext,
} from '../../../client/src/features/runPlan';

describe('client: profiled run plan', () => {
  describe('variables in a tasks.json green-ai task', () => {
    const context: TaskVariableContext = {
      workspaceFolder: '/home/me/proj',
      file: '/home/me/proj/scripts/train.py',
      env: { DATA: '/data/imagenet' },
      config: (key) => ({ 'greenAI.location': 'FR', 'python.verbose': true, 'greenAI.hardware': { gpu: 'A100' } } as Record<string, unknown>)[key],
      userHome: '/home/me',
      pathSeparator: '/',
    };

    it('resolves ${file}, ${workspaceFolder}, ${env:…}, ${config:…} and the file-name variables in every string field', () => {
      const result = resolveTaskVariables(
        {
          type: 'green-ai',
          script: '${file}',
          args: ['--data', '${env:DATA}', '--out', '${workspaceFolder}/out/${fileBasenameNoExtension}', '--where=${config:greenAI.location}', '${relativeFile}'],
          label: '${fileBasename}-${workspaceFolderBasename}',
          interpreter: '${userHome}/.venv/bin/python',
          env: { PYTHONPATH: '${fileDirname}${pathSeparator}lib', VERBOSE: '${config:python.verbose}' },
        },
        context,
      );
      assert.ok(result.ok, result.ok ? '' : result.message);
      assert.deepEqual(result.value, {
        type: 'green-ai',
        script: '/home/me/proj/scripts/train.py',
        args: ['--data', '/data/imagenet', '--out', '/home/me/proj/out/train', '--where=FR', 'scripts/train.py'],
        label: 'train.py-proj',
        interpreter: '/home/me/.venv/bin/python',
        env: { PYTHONPATH: '/home/me/proj/scripts/lib', VERBOSE: 'true' },
      });
    });

    it('leaves text without variables alone, and a missing environment variable is empty (as VS Code does)', () => {
      const result = resolveTaskVariables({ type: 'green-ai', script: 'train.py', args: ['--lr', '3e-4', '${env:NOPE}'] }, context);
      assert.deepEqual(result, { ok: true, value: { type: 'green-ai', script: 'train.py', args: ['--lr', '3e-4', ''] } });
    });

    it('refuses, naming the key, what it cannot resolve instead of running a command line with ${…} in it', () => {
      const noEditor = resolveTaskVariables({ type: 'green-ai', script: '${file}', args: ['${input:epochs}', '${config:greenAI.hardware}', '${nope}'] }, { ...context, file: undefined });
      assert.equal(noEditor.ok, false);
      assert.equal(
        noEditor.ok ? '' : noEditor.message,
        'cannot resolve script: ${file} needs an open editor (no file is active); args.0: ${input:epochs} is not supported in green-ai tasks (only predefined variables, env: and config:); args.1: ${config:greenAI.hardware} is not a string, number or boolean setting; args.2: ${nope} is not a known variable',
      );
    });
  });

  describe('interpreter resolution order', () => {
    it('task definition, then the Python extension, then greenAI.pythonPath, then python3', () => {
      const all = { task: '/opt/py/bin/python', pythonExtension: ['/venv/bin/python'], setting: '/usr/bin/python3.11' };
      assert.deepEqual(resolveInterpreter(all), { command: ['/opt/py/bin/python'], source: 'task' });
      assert.deepEqual(resolveInterpreter({ ...all, task: undefined }), { command: ['/venv/bin/python'], source: 'python-extension' });
      assert.deepEqual(resolveInterpreter({ ...all, task: undefined, pythonExtension: undefined }), { command: ['/usr/bin/python3.11'], source: 'setting' });
      assert.deepEqual(resolveInterpreter({ setting: '' }), { command: ['python3'], source: 'default' });
    });

    it('keeps a multi-word command from the Python extension (conda run …) and skips an empty one', () => {
      assert.deepEqual(resolveInterpreter({ pythonExtension: ['conda', 'run', '-n', 'ml', 'python'] }).command, ['conda', 'run', '-n', 'ml', 'python']);
      assert.deepEqual(resolveInterpreter({ pythonExtension: [''], setting: 'py' }), { command: ['py'], source: 'setting' });
    });

    it('says where the interpreter came from', () => {
      assert.match(describeInterpreter({ command: ['python3'], source: 'default' }), /python3 \(default; set greenAI\.pythonPath/);
    });
  });

  describe('the Python extension\'s API (untyped exports)', () => {
    const resource = { fsPath: '/ws/train.py' };

    it('uses the resolved executable of the active environment, asking for this file', async () => {
      const calls: unknown[] = [];
      const api = {
        environments: {
          known: ['x'],
          getActiveEnvironmentPath(this: { known: string[] }, uri: unknown) {
            calls.push(uri, this.known); // a method that needs its own object
            return { id: 'venv', path: '/ws/.venv' };
          },
          async resolveEnvironment(env: unknown) {
            calls.push(env);
            return { executable: { uri: { fsPath: '/ws/.venv/bin/python' } } };
          },
        },
      };
      assert.deepEqual(await interpreterFromPythonApi(api, resource), ['/ws/.venv/bin/python']);
      assert.deepEqual(calls, [resource, ['x'], { id: 'venv', path: '/ws/.venv' }]);
    });

    it('takes an unresolved path only when it names a python executable', async () => {
      const api = (path: string) => ({ environments: { getActiveEnvironmentPath: () => ({ id: 'e', path }), resolveEnvironment: async () => undefined } });
      assert.deepEqual(await interpreterFromPythonApi(api('/usr/bin/python3.11'), resource), ['/usr/bin/python3.11']);
      assert.equal(await interpreterFromPythonApi(api('/opt/conda/envs/ml'), resource), undefined);
    });

    it('falls back to the older settings.getExecutionDetails command', async () => {
      const api = { settings: { getExecutionDetails: () => ({ execCommand: ['conda', 'run', '-n', 'ml', 'python'] }) } };
      assert.deepEqual(await interpreterFromPythonApi(api, resource), ['conda', 'run', '-n', 'ml', 'python']);
    });

    it('answers nothing for a missing or unexpected API', async () => {
      for (const api of [undefined, null, 42, {}, { environments: { getActiveEnvironmentPath: () => 'nope' } }, { settings: { getExecutionDetails: () => ({ execCommand: [] }) } }]) {
        assert.equal(await interpreterFromPythonApi(api, resource), undefined, JSON.stringify(api));
      }
    });
  });

  describe('task definition (tasks.json)', () => {
    it('accepts the documented properties', () => {
      const result = parseRunTaskDefinition({ type: 'green-ai', script: 'train.py', args: ['--epochs', '2'], label: 'baseline', interpreter: '.venv/bin/python', env: { CUDA_VISIBLE_DEVICES: '0' }, intervalMs: 500 });
      assert.equal(result.ok, true);
    });

    it('names each invalid key', () => {
      const result = parseRunTaskDefinition({ type: 'green-ai', script: '', intervalMs: 5, label: ' ', env: { A: 1 }, args: '--epochs 1' });
      assert.equal(result.ok, false);
      if (result.ok) return;
      for (const key of ['script', 'intervalMs', 'label', 'env\\.A', 'args']) assert.match(result.message, new RegExp(`(^|; |: )${key}: `), result.message);
    });

    it('matches package.json\'s taskDefinitions contribution', () => {
      const manifest = JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { contributes: { taskDefinitions?: Array<{ type: string; required?: string[]; properties: Record<string, unknown> }> } };
      const contribution = manifest.contributes.taskDefinitions?.find((definition) => definition.type === 'green-ai');
      assert.ok(contribution, 'package.json has no green-ai task definition');
      assert.deepEqual(Object.keys(contribution.properties).sort(), ['args', 'env', 'interpreter', 'intervalMs', 'label', 'script']);
      assert.deepEqual(contribution.required, ['script']);
    });
  });

  it('resolves the runs folder against the workspace folder, else the script\'s folder, and keeps absolute paths', () => {
    assert.equal(resolveRunsDirectory('.green-ai/runs', '/ws', '/ws/src/train.py'), path.resolve('/ws/.green-ai/runs'));
    assert.equal(resolveRunsDirectory('.green-ai/runs', undefined, '/tmp/x/train.py'), path.resolve('/tmp/x/.green-ai/runs'));
    assert.equal(resolveRunsDirectory('/data/runs', '/ws', '/ws/train.py'), path.resolve('/data/runs'));
  });

  it('labels a run with the script\'s name, made safe for a folder name', () => {
    assert.equal(defaultRunLabel('/ws/my train.py'), 'my_train');
    assert.equal(defaultRunLabel('/ws/train.v2.py'), 'train.v2');
  });

  it('builds an argument array with the script\'s own arguments after --', () => {
    const line = runCommandLine({
      node: '/usr/bin/node',
      cliPath: '/ext/dist/cli.js',
      label: 'train-1',
      runsDirectory: '/ws/.green-ai/runs',
      interpreter: { command: ['conda', 'run', 'python'], source: 'python-extension' },
      script: 'train.py',
      args: ['--lr', '0.1; rm -rf /'],
      intervalMs: 500,
      location: 'DE',
    });
    assert.equal(line.command, '/usr/bin/node');
    assert.deepEqual(line.args, ['/ext/dist/cli.js', 'run', '--label', 'train-1', '--out', '/ws/.green-ai/runs', '--interval-ms', '500', '--location', 'DE', '--', 'conda', 'run', 'python', 'train.py', '--lr', '0.1; rm -rf /']);
  });
});
