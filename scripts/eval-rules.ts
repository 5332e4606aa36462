/**
 * `npm run eval:rules`: precision and recall of every default-enabled rule on the realistic corpus
 * (test/fixtures/realistic/), per rule and for the core rules, then a check against baseline.json.
 *
 *   tsx scripts/eval-rules.ts                    table + every false positive/negative; exit 1 on a regression
 *   tsx scripts/eval-rules.ts --update-baseline  also writes test/fixtures/realistic/baseline.json
 *   tsx scripts/eval-rules.ts --quiet            table only
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
} from './ruleEvaluation';

const USAGE = 'usage: tsx scripts/eval-rules.ts [--update-baseline] [--quiet]';

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== '--update-baseline' && a !== '--quiet');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  const update = argv.includes('--update-baseline');
  const evaluation = await evaluateCorpus();
  console.log(formatTable(evaluation));
  const misses = formatMisses(evaluation);
  if (!argv.includes('--quiet') && misses) console.log(`\n${misses}`);
  if (evaluation.failures.length > 0) {
    console.error(`\nrules threw while analysing the corpus:\n  ${evaluation.failures.join('\n  ')}`);
    return 1;
  }
  const relative = path.relative(process.cwd(), BASELINE_FILE);
  if (update) {
    writeFileSync(BASELINE_FILE, `${JSON.stringify(baselineOf(evaluation), null, 2)}\n`);
    console.log(`\nwrote ${relative}`);
    return 0;
  }
  if (!existsSync(BASELINE_FILE)) {
    console.error(`\nno baseline at ${relative}: run with --update-baseline to record the current scores`);
    return 1;
  }
  const { regressions, improvements } = compareWithBaseline(evaluation, loadBaseline());
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
