/**
 * Precision on real code: the rules scored on the realistic corpus (test/fixtures/realistic/, see
 * scripts/ruleEvaluation.ts) must not fall behind baseline.json — every expectation that held still holds and no
 * rule gains false positives. After an intended change, record the new scores with
 * `npm run eval:rules -- --update-baseline`.
 */
import assert from 'node:assert/strict';
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
