/** The bundled CLI as a user runs it: `node dist/cli.js check examples/`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

describe('dist/cli.js', () => {
  it('analyses the examples and prints file:line:col, rule id and message (the README demo)', () => {
    const run = spawnSync(process.execPath, [CLI, 'check', 'examples/', '--fail-on', 'never'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0]!, /^examples\/\S+\.py:\d+:\d+: warning GA\d{3} /);
    assert.equal(lines.at(-1), '23 findings in 6 of 7 files');
    // Notebook findings are located by cell (1-based, markdown cells counted) and line/column within it.
    assert.ok(run.stdout.includes('examples/notebooks/finetune_classifier.ipynb:cell 8:9:9: warning GA101 '), 'the example notebook\'s training cell');
    for (const id of ['GA101', 'GA201', 'GA202', 'GA301', 'GA302', 'GA501']) assert.ok(run.stdout.includes(` ${id} `), `${id} shows in the demo`);
  });

  it('exits 1 on findings at the default --fail-on and 2 on usage errors', () => {
    assert.equal(spawnSync(process.execPath, [CLI, 'check', 'examples/'], { cwd: ROOT }).status, 1);
    const usage = spawnSync(process.execPath, [CLI, 'frobnicate'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /unknown command "frobnicate"/);
    assert.match(spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' }).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('gives the same report with worker threads as in one thread, in file order', () => {
    const tree = mkdtempSync(path.join(os.tmpdir(), 'green-ai-jobs-'));
    const examples = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.py'));
    for (let i = 0; i < 120; i++) {
      const dir = path.join(tree, `pkg${i % 7}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `script_${i}.py`), readFileSync(path.join(ROOT, 'examples', examples[i % examples.length]!)));
    }
    const run = (jobs: string) => spawnSync(process.execPath, [CLI, 'check', tree, '--format', 'json', '--fail-on', 'never', '--jobs', jobs], { cwd: tree, encoding: 'utf8' });
    const single = run('1');
    const parallel = run('3');
    assert.equal(single.status, 0, single.stderr);
    assert.equal(parallel.status, 0, parallel.stderr);
    assert.equal(JSON.parse(single.stdout).files, 120);
    assert.ok(JSON.parse(single.stdout).findings.length > 200);
    assert.equal(parallel.stdout, single.stdout);
    assert.equal(run('0').status, 2, '--jobs 0 is a usage error');
  });
});
