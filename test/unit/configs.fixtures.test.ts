/**
 * Golden fixtures for the config rules (format: test/fixtures/configs/README.md): every finding of a fixture must be
 * marked, `clean-*` look-alikes have none, and each `fix-<RULE>-*.in.<ext>` becomes its `.out.<ext>` with the rule's
 * first quick fix, still parses, and loses that finding.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultSettings } from '../../shared/src/settings';
import { analyzeConfig } from '../../server/src/analysis/configEngine';
import { FILE_NOTE_ID } from '../../server/src/analysis/engine';
import { configFormatOf, readConfigFile } from '../../server/src/configs/configFile';
// The same `# expect:` / `.expect` reading as `npm run eval:rules`, so the fixtures test and the evaluation agree.
import { expectedFindings } from '../../scripts/configEvaluation';
import { applyEdits } from './analyze';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'configs');

function analyse(file: string, text: string) {
  const format = configFormatOf(undefined, file);
  assert.ok(format, `${file} is not a config format`);
  return analyzeConfig(text, `file://${file}`, format, defaultSettings());
}

const actualFindings = (outcome: ReturnType<typeof analyse>) =>
  outcome.findings.filter((f) => f.ruleId !== FILE_NOTE_ID).map((f) => `${f.range.start.line + 1} ${f.ruleId}`).sort();

let fixtureCount = 0;
for (const format of readdirSync(FIXTURES).filter((name) => !name.includes('.')).sort()) {
  describe(`config fixtures: ${format}`, () => {
    const dir = path.join(FIXTURES, format);
    for (const name of readdirSync(dir).sort()) {
      if (name.endsWith('.expect') || /\.out\.\w+$/.test(name)) continue;
      fixtureCount++;
      const file = path.join(dir, name);
      const text = readFileSync(file, 'utf8');
      const expected = expectedFindings(file, text);
      it(`${name}: ${expected.length === 0 ? 'no findings' : expected.join(', ')}`, () => {
        if (name.startsWith('flagged-')) assert.ok(expected.length > 0, 'a flagged fixture needs expect markers');
        if (name.startsWith('clean-')) assert.equal(expected.length, 0, 'a clean fixture must not carry markers');
        const outcome = analyse(file, text);
        assert.deepEqual(outcome.failures, []);
        assert.deepEqual(outcome.findings.filter((f) => f.ruleId === FILE_NOTE_ID), [], 'fixtures parse');
        assert.deepEqual(actualFindings(outcome), expected);
      });
      const fix = /^fix-(GA\d{3})-.*\.in\.(\w+)$/.exec(name);
      if (fix) {
        const [, ruleId, extension] = fix;
        const outName = name.replace(/\.in\.(\w+)$/, `.out.${extension}`);
        it(`${name}: the first ${ruleId} quick fix gives ${outName}`, () => {
          const before = analyse(file, text);
          const finding = before.findings.find((f) => f.ruleId === ruleId && f.fixes.length > 0);
          assert.ok(finding, `expected a ${ruleId} quick fix`);
          const fixed = applyEdits(text, finding.fixes[0]!.edits);
          assert.equal(fixed, readFileSync(path.join(dir, outName), 'utf8'));
          assert.equal(readConfigFile(fixed, configFormatOf(undefined, name)!).problem, null, 'the fixed file still parses');
          const after = analyse(file, fixed);
          assert.ok(!after.findings.some((f) => f.ruleId === ruleId), `${ruleId} is gone after the fix`);
        });
      }
    }
  });
}

describe('config fixtures', () => {
  it('cover every format with flagged, clean and fix files', () => {
    assert.ok(fixtureCount > 40, `${fixtureCount} fixtures`);
    for (const format of ['hf-training-args', 'lightning', 'accelerate', 'deepspeed', 'slurm']) {
      const names = readdirSync(path.join(FIXTURES, format));
      for (const prefix of ['flagged-', 'clean-', 'fix-']) assert.ok(names.some((n) => n.startsWith(prefix)), `${format} has ${prefix}* fixtures`);
    }
  });
});
