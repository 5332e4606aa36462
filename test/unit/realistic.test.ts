/**
 * Precision on real code: the rules scored on the realistic corpus (test/fixtures/realistic/, see
 * scripts/ruleEvaluation.ts) must not fall behind baseline.json — every expectation that held still holds and no
 * rule gains false positives. The same holds for the config fixtures and jobs, and for the two hold-out corpora
 * (test/fixtures/holdout/, holdout2/) against their own baselines. After an intended change, record the new scores with
 * `npm run eval:rules -- --update-baseline`.
 */
import assert from 'node:assert/strict';
import { CONFIG_BASELINE_FILE, CONFIG_HOLDOUT_BASELINE_FILE, CONFIG_HOLDOUT_CORPUS, evaluateConfigs } from '../../scripts/configEvaluation';
import { HOLDOUT2_BASELINE_FILE, HOLDOUT2_DIR, HOLDOUT_BASELINE_FILE, HOLDOUT_DIR } from '../../scripts/holdoutCorpus';
import { compareWithBaseline, evaluateCorpus, formatMisses, loadBaseline, loadCorpus, type Evaluation } from '../../scripts/ruleEvaluation';

describe('realistic corpus (precision and recall of the rules)', () => {
  let evaluation: Evaluation;

  before(async () => {
    evaluation = await evaluateCorpus(loadCorpus());
  });

  it('loads: every script has valid expectations pinned to its lines', () => {
    assert.ok(evaluation.scripts >= 14, `expected at least 14 corpus scripts, found ${evaluation.scripts}`);
  });

  it('no rule throws on the corpus', () => {
    assert.deepEqual(evaluation.failures, []);
  });

  it('no regression against baseline.json (held expectations still hold, no new false positives)', () => {
    const { regressions } = compareWithBaseline(evaluation, loadBaseline());
    assert.deepEqual(regressions, [], `regressions:\n${regressions.join('\n')}\n\nall misses now:\n${formatMisses(evaluation)}`);
  });
});

describe('config fixtures and jobs (precision and recall of the config rules)', () => {
  let evaluation: Evaluation;

  before(() => {
    evaluation = evaluateConfigs();
  });

  it('loads the single-file fixtures and the multi-file jobs; every file parses and no rule throws', () => {
    assert.ok(evaluation.scripts >= 80, `expected at least 80 config files, found ${evaluation.scripts}`);
    assert.deepEqual(evaluation.failures, []);
  });

  it('no regression against test/fixtures/configs/baseline.json', () => {
    const { regressions } = compareWithBaseline(evaluation, loadBaseline(CONFIG_BASELINE_FILE));
    assert.deepEqual(regressions, [], `regressions:\n${regressions.join('\n')}\n\nall misses now:\n${formatMisses(evaluation)}`);
  });
});

describe('hold-out corpus (test/fixtures/holdout/, written blind; precision and recall of the rules)', () => {
  let evaluation: Evaluation;

  before(async () => {
    evaluation = await evaluateCorpus(loadCorpus(HOLDOUT_DIR));
  });

  it('loads all ten scripts with valid expectations; no rule throws', () => {
    assert.equal(evaluation.scripts, 10);
    assert.deepEqual(evaluation.failures, []);
  });

  it('no regression against test/fixtures/holdout/baseline.json', () => {
    const { regressions } = compareWithBaseline(evaluation, loadBaseline(HOLDOUT_BASELINE_FILE));
    assert.deepEqual(regressions, [], `regressions:\n${regressions.join('\n')}\n\nall misses now:\n${formatMisses(evaluation)}`);
  });
});

describe('second hold-out corpus (test/fixtures/holdout2/, written blind; precision and recall of the rules)', () => {
  let evaluation: Evaluation;

  before(async () => {
    evaluation = await evaluateCorpus(loadCorpus(HOLDOUT2_DIR));
  });

  it('loads all ten scripts with valid expectations; no rule throws', () => {
    assert.equal(evaluation.scripts, 10);
    assert.deepEqual(evaluation.failures, []);
  });

  it('no regression against test/fixtures/holdout2/baseline.json', () => {
    const { regressions } = compareWithBaseline(evaluation, loadBaseline(HOLDOUT2_BASELINE_FILE));
    assert.deepEqual(regressions, [], `regressions:\n${regressions.join('\n')}\n\nall misses now:\n${formatMisses(evaluation)}`);
  });
});

describe('config hold-out (test/fixtures/configs-holdout/, written blind; precision and recall of the config rules)', () => {
  let evaluation: Evaluation;

  before(() => {
    evaluation = evaluateConfigs(CONFIG_HOLDOUT_CORPUS);
  });

  it('loads its files and jobs; every file parses and no rule throws', () => {
    assert.ok(evaluation.scripts >= 40, `expected at least 40 config files, found ${evaluation.scripts}`);
    assert.deepEqual(evaluation.failures, []);
  });

  it('no regression against test/fixtures/configs-holdout/baseline.json', () => {
    const { regressions } = compareWithBaseline(evaluation, loadBaseline(CONFIG_HOLDOUT_BASELINE_FILE));
    assert.deepEqual(regressions, [], `regressions:\n${regressions.join('\n')}\n\nall misses now:\n${formatMisses(evaluation)}`);
  });
});
