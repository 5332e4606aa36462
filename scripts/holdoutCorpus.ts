/**
 * The hold-out corpus (test/fixtures/holdout/): ten scripts written blind against the rule catalogue, scored like the
 * realistic corpus (scripts/ruleEvaluation.ts) and guarded by their own baseline, so that a fix tuned on the main
 * corpus cannot quietly cost precision or recall on code the rules were not written against.
 */
import path from 'node:path';

export const HOLDOUT_DIR = path.join(__dirname, '..', 'test', 'fixtures', 'holdout');
export const HOLDOUT_BASELINE_FILE = path.join(HOLDOUT_DIR, 'baseline.json');

/**
 * The second hold-out (test/fixtures/holdout2/): ten more scripts in other styles, written blind after the first was
 * used for fixes; its README keeps the blind score. Guarded by its own baseline like the first.
 */
export const HOLDOUT2_DIR = path.join(__dirname, '..', 'test', 'fixtures', 'holdout2');
export const HOLDOUT2_BASELINE_FILE = path.join(HOLDOUT2_DIR, 'baseline.json');
