import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../server/src/cli/main';

const FLAGGED = 'import torch\nfrom torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=8)\n';
const CLEAN = 'import torch\nx = torch.zeros(3)\n';

function tree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'green-ai-cli-'));
  mkdirSync(path.join(root, '.git'));
  mkdirSync(path.join(root, 'src'));
  mkdirSync(path.join(root, 'build'));
  mkdirSync(path.join(root, '.venv', 'lib'), { recursive: true });
  writeFileSync(path.join(root, '.gitignore'), 'build/\n*.gen.py\n');
  writeFileSync(path.join(root, 'src', 'train.py'), FLAGGED);
  writeFileSync(path.join(root, 'src', 'clean.py'), CLEAN);
  writeFileSync(path.join(root, 'src', 'skip.gen.py'), FLAGGED);
  writeFileSync(path.join(root, 'build', 'copy.py'), FLAGGED);
  writeFileSync(path.join(root, '.venv', 'lib', 'dep.py'), FLAGGED);
  writeFileSync(path.join(root, 'notes.txt'), FLAGGED);
  return root;
}

async function runCli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd });
  return { code, stdout, stderr };
}

describe('green-ai check', () => {
  it('prints the documented JSON, skipping .gitignore\'d and excluded files', async () => {
    const root = tree();
    const { code, stdout } = await runCli(['check', root, '--format', 'json'], root);
    const report = JSON.parse(stdout);
    assert.equal(report.version, 1);
    assert.equal(report.files, 2, 'src/train.py and src/clean.py only');
    assert.deepEqual(report.findings, [
      {
        file: path.join('src', 'train.py'),
        range: { start: { line: 2, character: 9 }, end: { line: 2, character: 37 } },
        code: 'GA201',
        severity: 'warning',
        message: 'DataLoader has no num_workers (defaults to 0): batches are loaded in the training process while the GPU waits.',
      },
    ]);
    assert.equal(code, 1, 'a warning fails at the default --fail-on warning');
  });

  it('uses exit codes 0/1/2 for --fail-on and usage errors', async () => {
    const root = tree();
    assert.equal((await runCli(['check', root, '--fail-on', 'never'], root)).code, 0);
    assert.equal((await runCli(['check', root, '--fail-on', 'error'], root)).code, 0);
    assert.equal((await runCli(['check', root, '--fail-on', 'info'], root)).code, 1);
    assert.equal((await runCli(['check', path.join(root, 'src', 'clean.py')], root)).code, 0);
    const usage = await runCli(['check', root, '--format', 'xml'], root);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--format must be text, json or sarif/);
    assert.equal((await runCli(['lint'], root)).code, 2);
    assert.equal((await runCli(['check', '--bogus'], root)).code, 2);
    assert.equal((await runCli(['check', path.join(root, 'missing')], root)).code, 2);
  });

  it('prints file:line:col, rule id and message in text form', async () => {
    const root = tree();
    const { stdout } = await runCli(['check', 'src'], root);
    assert.equal(
      stdout,
      'src/train.py:3:10: warning GA201 DataLoader has no num_workers (defaults to 0): batches are loaded in the training process while the GPU waits.\n1 finding in 1 of 2 files\n',
    );
  });

  it('writes SARIF 2.1.0 with rule metadata, help URIs and 1-based regions', async () => {
    const root = tree();
    const sarif = JSON.parse((await runCli(['check', root, '--format', 'sarif'], root)).stdout);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0];
    assert.equal(run.tool.driver.name, 'green-ai');
    const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === 'GA201');
    assert.match(rule.helpUri, /^https:\/\/.*\/docs\/rules\/GA201\.md$/);
    assert.ok(rule.help.markdown.includes('num_workers'));
    assert.equal(run.results.length, 1);
    const result = run.results[0];
    assert.equal(run.tool.driver.rules[result.ruleIndex].id, 'GA201');
    assert.deepEqual(result.locations[0].physicalLocation, {
      artifactLocation: { uri: 'src/train.py', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3, startColumn: 10, endLine: 3, endColumn: 38 },
    });
  });

  it('reads --config, reporting invalid keys by name without failing the run', async () => {
    const root = tree();
    const config = path.join(root, 'green-ai.json');
    writeFileSync(config, JSON.stringify({ rules: { GA201: 'off', GA9: 'x' }, exclude: ['legacy/**'] }));
    const { code, stdout, stderr } = await runCli(['check', root, '--config', config, '--format', 'json'], root);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(stdout).findings, []);
    assert.match(stderr, /invalid setting greenAI\.rules\.GA9/);
    writeFileSync(config, '{not json');
    const broken = await runCli(['check', root, '--config', config], root);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /cannot read --config/);
  });
});
