/**
 * `green-ai check` and `npm run eval:rules` see the same jobs: the CLI's findings on the config files of every job
 * fixture (each folder checked alone, and all of them in one run) are the findings the evaluation scores — true and
 * false positives alike — so a user of the CLI gets the composed Hydra config the evaluation measured.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeFiles } from '../../../server/src/cli/analyzeFiles';
import { configFormatOf } from '../../../server/src/configs/configFile';
import { CONFIG_RULES } from '../../../server/src/rules/config';
import { evaluateConfigs, JOBS_DIR } from '../../../scripts/configEvaluation';

const FIXTURES = path.dirname(JOBS_DIR);
const DETECT_ANOMALY_LINE = 8;
const CONFIG_RULE_IDS = new Set(CONFIG_RULES.map((rule) => rule.meta.id));

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
}

/** `file:line rule` of what the evaluation finds (its true and false positives), relative to test/fixtures/. */
function evaluationFindings(): string[] {
  const evaluation = evaluateConfigs({ configsDir: null, jobsDir: JOBS_DIR });
  assert.deepEqual(evaluation.failures, []);
  return evaluation.rules.flatMap((score) => [...score.held, ...score.falsePositives.map((fp) => fp.at)].map((at) => `${at} ${score.ruleId}`)).sort();
}

/** The same from the CLI's analysis of these files (what `green-ai check` prints), config files only. */
async function cliFindings(files: string[]): Promise<string[]> {
  const results = await analyzeFiles(files, defaultSettings(), 1);
  return results
    .filter((result) => configFormatOf(undefined, result.file) && !result.file.endsWith('.expect'))
    .flatMap((result) => {
      assert.deepEqual(result.errors, [], result.file);
      return result.findings.filter((f) => CONFIG_RULE_IDS.has(f.ruleId)).map((f) => `${path.relative(FIXTURES, result.file)}:${f.range.start.line + 1} ${f.ruleId}`);
    })
    .sort();
}

describe('green-ai check agrees with the config evaluation on the job fixtures', () => {
  const jobs = readdirSync(JOBS_DIR).filter((name) => statSync(path.join(JOBS_DIR, name)).isDirectory());
  let expected: string[];
  before(() => {
    expected = evaluationFindings();
  });

  it('each job folder checked alone', async () => {
    const fromCli: string[] = [];
    for (const job of jobs) fromCli.push(...(await cliFindings(filesUnder(path.join(JOBS_DIR, job)))));
    assert.deepEqual(fromCli.sort(), expected);
    assert.ok(expected.length > 20, `the fixtures have findings to compare (${expected.length})`);
  });

  it('every job folder in one run (one graph over all of them)', async () => {
    assert.deepEqual(await cliFindings(filesUnder(JOBS_DIR)), expected);
  });

  it('relative paths, as a user types them (the CLI passes the files\' URIs to the config rules)', async () => {
    const relative = filesUnder(path.join(JOBS_DIR, 'hydra-debug-apis')).map((file) => path.relative(process.cwd(), file));
    const absolute = filesUnder(path.join(JOBS_DIR, 'hydra-debug-apis'));
    const fromRelative = await cliFindings(relative);
    assert.deepEqual(fromRelative, await cliFindings(absolute));
    // The composed form: detect_anomaly in the selected trainer option (judged alone, a file without a trainer is silent).
    assert.ok(fromRelative.includes(`jobs/hydra-debug-apis/conf/trainer/gpu.yaml:${DETECT_ANOMALY_LINE} GA303`), fromRelative.join('\n'));
  });
});
