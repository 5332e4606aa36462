/**
 * Golden fixtures for every rule (format: test/fixtures/rules/README.md): `flagged-*` files must produce
 * exactly the marked findings of their rule, `clean-*` look-alikes none, and each `fix-*.in.py` must turn
 * into its `.out.py` with the rule's first quick fix, still parsing without syntax errors.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ruleById } from '../../server/src/rules';
import { analyze, applyEdits, pythonParser } from './analyze';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'rules');
const MARKER = /#\s*expect:\s*((?:GA\d{3}\s*)+)/;

function expectedLines(text: string, ruleId: string): number[] {
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const match = MARKER.exec(line);
    if (match && match[1]!.split(/\s+/).includes(ruleId)) lines.push(index);
  });
  return lines;
}

for (const ruleId of readdirSync(FIXTURES).filter((name) => /^GA\d{3}$/.test(name)).sort()) {
  describe(`rule ${ruleId} fixtures`, () => {
    it('is registered', () => assert.ok(ruleById(ruleId), `${ruleId} has fixtures but no rule module`));
    const dir = path.join(FIXTURES, ruleId);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.py')).sort()) {
      if (file.endsWith('.out.py')) continue;
      const text = readFileSync(path.join(dir, file), 'utf8');
      const expected = expectedLines(text, ruleId);
      it(`${file}: ${expected.length === 0 ? 'no findings' : `findings on lines ${expected.map((l) => l + 1).join(', ')}`}`, async () => {
        if (file.startsWith('flagged-')) assert.ok(expected.length > 0, 'a flagged fixture needs # expect markers');
        if (file.startsWith('clean-')) assert.equal(expected.length, 0, 'a clean fixture must not carry markers');
        const outcome = await analyze(text, { rules: { [ruleId]: 'warning' } });
        assert.deepEqual(outcome.failures, []);
        const actual = outcome.findings.filter((f) => f.ruleId === ruleId).map((f) => f.range.start.line);
        assert.deepEqual(actual.map((l) => l + 1), expected.map((l) => l + 1), `${ruleId} findings (1-based lines)`);
      });
      if (file.startsWith('fix-') && file.endsWith('.in.py')) {
        it(`${file}: quick fix gives ${file.replace('.in.py', '.out.py')}`, async () => {
          const outcome = await analyze(text, { rules: { [ruleId]: 'warning' } });
          const fix = outcome.findings.find((f) => f.ruleId === ruleId && f.fixes.length > 0)?.fixes[0];
          assert.ok(fix, 'expected a quick fix');
          const fixed = applyEdits(text, fix.edits);
          assert.equal(fixed, readFileSync(path.join(dir, file.replace('.in.py', '.out.py')), 'utf8'));
          const tree = (await pythonParser()).parse(fixed)!;
          try {
            assert.equal(tree.rootNode.hasError, false, 'the fixed file must parse without syntax errors');
          } finally {
            tree.delete();
          }
        });
      }
    }
  });
}

describe('rule registry', () => {
  it('every registered rule has flagged and clean fixtures', async () => {
    const { RULES } = await import('../../server/src/rules');
    for (const rule of RULES) {
      const files = readdirSync(path.join(FIXTURES, rule.meta.id));
      assert.ok(files.some((f) => f.startsWith('flagged-')), `${rule.meta.id} needs flagged-*.py fixtures`);
      assert.ok(files.some((f) => f.startsWith('clean-')), `${rule.meta.id} needs clean-*.py fixtures`);
    }
  });
  it('ids are unique and metadata is complete', async () => {
    const { RULES } = await import('../../server/src/rules');
    const ids = RULES.map((r) => r.meta.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const { meta } of RULES) {
      assert.match(meta.id, /^GA\d{3}$/);
      assert.match(meta.slug, /^[a-z0-9-]+$/);
      assert.ok(meta.why.length > 80, `${meta.id} explains why`);
      assert.ok(meta.sources.length > 0 && meta.sources.every((s) => /^https:\/\//.test(s.url) && s.year > 2000), `${meta.id} cites sources`);
    }
  });
});
