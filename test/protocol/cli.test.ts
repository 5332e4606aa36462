/** The bundled CLI as a user runs it: `node dist/cli.js check examples/`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

describe('dist/cli.js', () => {
  it('analyses the examples and prints file:line:col, rule id and message (the README demo)', () => {
    const run = spawnSync(process.execPath, [CLI, 'check', 'examples/', '--fail-on', 'never'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0]!, /^examples\/\S+\.py:\d+:\d+: warning GA\d{3} /);
    assert.equal(lines.at(-1), '15 findings in 4 of 6 files');
    for (const id of ['GA101', 'GA201', 'GA202', 'GA301', 'GA302', 'GA501']) assert.ok(run.stdout.includes(` ${id} `), `${id} shows in the demo`);
  });

  it('exits 1 on findings at the default --fail-on and 2 on usage errors', () => {
    assert.equal(spawnSync(process.execPath, [CLI, 'check', 'examples/'], { cwd: ROOT }).status, 1);
    const usage = spawnSync(process.execPath, [CLI, 'frobnicate'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /unknown command "frobnicate"/);
    assert.match(spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' }).stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
