/**
 * The bundled CLI on job folders, as a user runs it (`node dist/cli.js check test/fixtures/jobs`, worker threads
 * included): its config findings are the ones `npm run eval:rules` scores for the same folders — the same job graph,
 * the same composed Hydra configs, launcher scripts included.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { configFormatOf } from '../../server/src/configs/configFile';
import { CONFIG_RULES } from '../../server/src/rules/config';
import { evaluateConfigs, JOBS_DIR } from '../../scripts/configEvaluation';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const HOLDOUT_JOBS = path.join(FIXTURES, 'configs-holdout', 'jobs');
const CONFIG_RULE_IDS = new Set(CONFIG_RULES.map((rule) => rule.meta.id));

interface JsonReport {
  findings: { file: string; code: string; range: { start: { line: number } } }[];
}

/** `file:line rule` (relative to test/fixtures/) of the CLI's config findings on a folder. */
function cliFindings(folder: string, jobs: string): string[] {
  const run = spawnSync(process.execPath, [CLI, 'check', path.relative(ROOT, folder), '--format', 'json', '--fail-on', 'never', '--jobs', jobs], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  const report = JSON.parse(run.stdout) as JsonReport;
  return report.findings
    .filter((f) => CONFIG_RULE_IDS.has(f.code) && configFormatOf(undefined, f.file))
    .map((f) => `${path.relative(FIXTURES, path.resolve(ROOT, f.file))}:${f.range.start.line + 1} ${f.code}`)
    .sort();
}

/** What the evaluation finds on the job folders of `jobsDir` (its true and false positives). */
function evaluationFindings(jobsDir: string): string[] {
  const evaluation = evaluateConfigs({ configsDir: null, jobsDir });
  assert.deepEqual(evaluation.failures, []);
  // Named relative to test/fixtures/, as cliFindings names them.
  return evaluation.rules.flatMap((score) => [...score.held, ...score.falsePositives.map((fp) => fp.at)].map((at) => `${at} ${score.ruleId}`)).sort();
}

describe('dist/cli.js check on job folders agrees with the config evaluation', () => {
  it('test/fixtures/jobs, in one thread and with worker threads', () => {
    const expected = evaluationFindings(JOBS_DIR);
    assert.ok(expected.length > 20);
    assert.deepEqual(cliFindings(JOBS_DIR, '1'), expected);
    assert.deepEqual(cliFindings(JOBS_DIR, '3'), expected);
    // The launcher script's Hydra override is judged (a job without #SBATCH).
    assert.ok(expected.some((f) => f.startsWith('jobs/launcher-hydra-overrides/run_local.sh:') && f.endsWith(' GA101')));
  });

  (existsSync(HOLDOUT_JOBS) ? it : it.skip)('the blind config hold-out\'s jobs (test/fixtures/configs-holdout/jobs)', () => {
    const expected = evaluationFindings(HOLDOUT_JOBS);
    assert.deepEqual(cliFindings(HOLDOUT_JOBS, '1'), expected);
    for (const finding of [
      'configs-holdout/jobs/hydra-lightning-tree/configs/trainer/gpu.yaml:4 GA101',
      'configs-holdout/jobs/hydra-lightning-tree/configs/data/inat_mini.yaml:7 GA202',
      'configs-holdout/jobs/launcher-hydra-precision/run_local.sh:7 GA101',
    ]) {
      assert.ok(expected.includes(finding), finding);
    }
    for (const absent of ['configs-holdout/jobs/hydra-launch-overrides/conf/trainer/single_gpu.yaml:5 GA303', 'configs-holdout/jobs/hydra-lightning-tree/configs/data/cifar10.yaml:4 GA201']) {
      assert.ok(!expected.includes(absent), absent);
    }
  });
});
