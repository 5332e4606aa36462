/**
 * `npm run eval:rules`: precision and recall of every default-enabled rule on the realistic corpus
 * (test/fixtures/realistic/), per rule and for the core rules, then a check against baseline.json; then the same for
 * the config rules on the config fixtures and the multi-file jobs (scripts/configEvaluation.ts, a directory of
 * test/fixtures/jobs/ = one job), checked against test/fixtures/configs/baseline.json; then the Python rules on the
 * hold-out corpora (test/fixtures/holdout/ and holdout2/, scripts/holdoutCorpus.ts), then the config rules on the
 * config hold-out (test/fixtures/configs-holdout/), each checked against its own baseline.json.
 *
 *   tsx scripts/eval-rules.ts                    table + every false positive/negative; exit 1 on a regression
 *   tsx scripts/eval-rules.ts --update-baseline  also writes the five baseline.json files
 *   tsx scripts/eval-rules.ts --quiet            table only
 *   tsx scripts/eval-rules.ts --corpus DIR       score another directory of `<name>.py` + `<name>.expect.json`
 *                                                (e.g. a hold-out set), Python rules only, no baseline check
 *   tsx scripts/eval-rules.ts --config-corpus DIR  the config rules on DIR/configs/<format>/ files and DIR/jobs/<job>/
 *                                                workspaces (laid out like test/fixtures/), no baseline check
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  BASELINE_FILE,
  baselineOf,
  compareWithBaseline,
  evaluateCorpus,
  formatMisses,
  formatTable,
  loadBaseline,
  loadCorpus,
  type Evaluation,
} from './ruleEvaluation';
import { CONFIG_BASELINE_FILE, CONFIG_HOLDOUT_BASELINE_FILE, CONFIG_HOLDOUT_CORPUS, evaluateConfigs } from './configEvaluation';
import { HOLDOUT2_BASELINE_FILE, HOLDOUT2_DIR, HOLDOUT_BASELINE_FILE, HOLDOUT_DIR } from './holdoutCorpus';

const USAGE = 'usage: tsx scripts/eval-rules.ts [--update-baseline] [--quiet] | [--corpus DIR] [--quiet] | [--config-corpus DIR] [--quiet]';

async function main(argv: string[]): Promise<number> {
  const adHoc: Array<[string, string, (dir: string) => Promise<Evaluation> | Evaluation]> = [
    // DIR/configs/<format>/<file> single files and DIR/jobs/<job>/ workspaces, laid out like test/fixtures/.
    ['--config-corpus', 'Config rules', (dir) => evaluateConfigs({ configsDir: path.join(dir, 'configs'), jobsDir: path.join(dir, 'jobs') })],
    ['--corpus', 'Python rules', (dir) => evaluateCorpus(loadCorpus(dir))],
  ];
  for (const [flag, what, evaluate] of adHoc) {
    const at = argv.indexOf(flag);
    if (at === -1) continue;
    const dir = argv[at + 1];
    const rest = argv.filter((_, i) => i !== at && i !== at + 1);
    if (!dir || rest.some((a) => a !== '--quiet')) {
      console.error(USAGE);
      return 2;
    }
    const root = path.resolve(dir);
    const evaluation = await evaluate(root);
    console.log(`${what} on ${path.relative(process.cwd(), root) || '.'} (no baseline)`);
    console.log(formatTable(evaluation));
    const misses = formatMisses(evaluation);
    if (!rest.includes('--quiet') && misses) console.log(`\n${misses}`);
    if (evaluation.failures.length > 0) {
      console.error(`\nrules threw (or fixtures did not parse):\n  ${evaluation.failures.join('\n  ')}`);
      return 1;
    }
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--update-baseline' && a !== '--quiet');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  const update = argv.includes('--update-baseline');
  const python = await evaluateCorpus();
  console.log('Python rules on the realistic corpus');
  const pythonCode = report(python, BASELINE_FILE, update, argv.includes('--quiet'));
  console.log('\nConfig rules on the config fixtures and jobs (test/fixtures/configs/, test/fixtures/jobs/)');
  const configCode = report(evaluateConfigs(), CONFIG_BASELINE_FILE, update, argv.includes('--quiet'), 'the config fixtures and jobs (test/fixtures/configs/, test/fixtures/jobs/)');
  console.log('\nPython rules on the hold-out corpus (test/fixtures/holdout/)');
  const holdoutCode = report(await evaluateCorpus(loadCorpus(HOLDOUT_DIR)), HOLDOUT_BASELINE_FILE, update, argv.includes('--quiet'), 'the hold-out corpus (test/fixtures/holdout/, written blind; see its README)');
  console.log('\nPython rules on the second hold-out corpus (test/fixtures/holdout2/)');
  const holdout2Code = report(await evaluateCorpus(loadCorpus(HOLDOUT2_DIR)), HOLDOUT2_BASELINE_FILE, update, argv.includes('--quiet'), 'the second hold-out corpus (test/fixtures/holdout2/, written blind; see its README)');
  console.log('\nConfig rules on the config hold-out (test/fixtures/configs-holdout/)');
  const configHoldoutCode = report(evaluateConfigs(CONFIG_HOLDOUT_CORPUS), CONFIG_HOLDOUT_BASELINE_FILE, update, argv.includes('--quiet'), 'the config hold-out (test/fixtures/configs-holdout/, written blind; see its README)');
  return Math.max(pythonCode, configCode, holdoutCode, holdout2Code, configHoldoutCode);
}

function report(evaluation: Awaited<ReturnType<typeof evaluateCorpus>>, baselineFile: string, update: boolean, quiet: boolean, scoredSet?: string): number {
  console.log(formatTable(evaluation));
  const misses = formatMisses(evaluation);
  if (!quiet && misses) console.log(`\n${misses}`);
  if (evaluation.failures.length > 0) {
    console.error(`\nrules threw (or fixtures did not parse):\n  ${evaluation.failures.join('\n  ')}`);
    return 1;
  }
  const relative = path.relative(process.cwd(), baselineFile);
  if (update) {
    writeFileSync(baselineFile, `${JSON.stringify(baselineOf(evaluation, scoredSet), null, 2)}\n`);
    console.log(`\nwrote ${relative}`);
    return 0;
  }
  if (!existsSync(baselineFile)) {
    console.error(`\nno baseline at ${relative}: run with --update-baseline to record the current scores`);
    return 1;
  }
  const { regressions, improvements } = compareWithBaseline(evaluation, loadBaseline(baselineFile));
  for (const line of improvements) console.log(`improved: ${line} (record with --update-baseline)`);
  if (regressions.length > 0) {
    console.error(`\nregressions against ${relative}:\n  ${regressions.join('\n  ')}`);
    return 1;
  }
  console.log(`\nno regression against ${relative}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
