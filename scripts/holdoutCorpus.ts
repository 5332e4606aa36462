/**
 * The hold-out corpus (test/fixtures/holdout/): ten scripts written blind against the rule catalogue, scored like the
 * realistic corpus (scripts/ruleEvaluation.ts) and guarded by their own baseline, so that a fix tuned on the main
 * corpus cannot quietly cost precision or recall on code the rules were not written against.
 */
import path from 'node:path';

export const HOLDOUT_DIR = path.join(__dirname, '..', 'test', 'fixtures', 'holdout');
export const HOLDOUT_BASELINE_FILE = path.join(HOLDOUT_DIR, 'baseline.json');
