/** `green-ai check` with project files: the nearest one applies per file, --config overrides it, problems print as file:line:col. */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../server/src/cli/main';

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'project', 'ws');

/** A copy of the fixture repository (with .git, so the search stops there) plus a sub-project with its own file. */
function repository(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'green-ai-project-'));
  cpSync(FIXTURE, root, { recursive: true });
  mkdirSync(path.join(root, '.git'));
  mkdirSync(path.join(root, 'tools'));
  cpSync(path.join(FIXTURE, 'train.py'), path.join(root, 'tools', 'train.py'));
  writeFileSync(path.join(root, 'tools', '.green-ai.toml'), '# tools keep the defaults\nenable = true\n');
  return root;
}

async function runCli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd });
  return { code, stdout, stderr };
}

function codesByFile(stdout: string): Record<string, string[]> {
  const report = JSON.parse(stdout) as { findings: { file: string; code: string }[] };
  const byFile: Record<string, string[]> = {};
  for (const finding of report.findings) (byFile[finding.file] ??= []).push(finding.code);
  return byFile;
}

describe('green-ai check with a project file', () => {
  it('applies the nearest project file to each file', async () => {
    const root = repository();
    const { code, stdout, stderr } = await runCli(['check', '--format', 'json'], root);
    assert.equal(stderr, '');
    const byFile = codesByFile(stdout);
    assert.ok(!byFile['train.py']?.includes('GA202'), 'pyproject.toml switches GA202 off');
    assert.ok(byFile['tools/train.py']?.includes('GA202'), 'tools/.green-ai.toml is nearer and keeps it on');
    assert.equal(code, 1, 'the GA202 warning in tools/ fails the run');
  });

  it('lets --config override the project file', async () => {
    const root = repository();
    writeFileSync(path.join(root, 'settings.json'), JSON.stringify({ rules: { GA202: 'error' } }));
    const { stdout } = await runCli(['check', 'train.py', '--config', 'settings.json', '--format', 'json'], root);
    const report = JSON.parse(stdout) as { findings: { code: string; severity: string }[] };
    assert.deepEqual(report.findings.filter((f) => f.code === 'GA202').map((f) => f.severity), ['error']);
  });

  it('prints an invalid key as a warning line and goes on', async () => {
    const root = repository();
    writeFileSync(path.join(root, 'pyproject.toml'), '[tool.green-ai]\nrules = { GA202 = "off" }\nlocation = "Atlantis"\n');
    const { code, stdout, stderr } = await runCli(['check', 'train.py'], root);
    assert.match(stderr, /^pyproject\.toml:3:1: warning GA000 tool\.green-ai\.location: .*Atlantis.*; ignored\n$/);
    assert.doesNotMatch(stdout, /GA202/, 'the valid keys still apply');
    assert.equal(code, 0);
  });

  it('prints a syntax error at its line, analyses with the defaults and exits 2', async () => {
    const root = repository();
    writeFileSync(path.join(root, 'pyproject.toml'), '[project]\nname = "x"\n[tool.green-ai]\nrules = { GA202 = "off"\n');
    const { code, stdout, stderr } = await runCli(['check', 'train.py'], root);
    assert.match(stderr, /^pyproject\.toml:4:\d+: error GA000 TOML syntax error: /);
    assert.match(stdout, /train\.py:16:\d+: warning GA202/, 'the file is ignored, so GA202 is back on');
    assert.equal(code, 2);
  });
});
