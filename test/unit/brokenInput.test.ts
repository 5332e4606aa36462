/**
 * Half-typed code is what the server sees most: every rule must survive any prefix of a real training script, and a
 * script with a line dropped, without throwing (the engine would log the rule as failed and drop its findings).
 * The cuts are deterministic (fixed fractions of each file, mid-line included), so a failure names a reproducible input.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { analyze } from './analyze';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const CORPORA = ['realistic', 'holdout', 'holdout2'].map((name) => path.join(FIXTURES, name));

function pythonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? pythonFiles(full) : name.endsWith('.py') ? [full] : [];
  });
}

/** Prefixes at fixed fractions of the text, and the text with one line removed at the same fractions. */
function brokenVariants(text: string): Array<{ what: string; text: string }> {
  const variants: Array<{ what: string; text: string }> = [];
  const lines = text.split('\n');
  for (const fraction of [0.13, 0.29, 0.41, 0.58, 0.77, 0.93]) {
    const at = Math.floor(text.length * fraction);
    variants.push({ what: `prefix of ${at} characters`, text: text.slice(0, at) });
    const line = Math.floor(lines.length * fraction);
    variants.push({ what: `line ${line + 1} removed`, text: [...lines.slice(0, line), ...lines.slice(line + 1)].join('\n') });
  }
  return variants;
}

describe('rules on broken input (prefixes and dropped lines of the corpora)', function () {
  this.timeout(120_000);
  const files = CORPORA.flatMap(pythonFiles).sort();

  it(`no rule throws on ${files.length} scripts × 12 broken variants`, async () => {
    assert.ok(files.length >= 40, `corpora found: ${files.length} scripts`);
    const failures: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const variant of brokenVariants(text)) {
        const outcome = await analyze(variant.text);
        for (const failure of outcome.failures) {
          failures.push(`${path.relative(FIXTURES, file)} (${variant.what}): ${failure.ruleId} threw ${failure.error instanceof Error ? failure.error.message : String(failure.error)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });
});
