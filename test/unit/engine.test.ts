import assert from 'node:assert/strict';
import { defaultSettings } from '../../shared/src/settings';
import { analyzePython, precheck } from '../../server/src/analysis/engine';
import { RULES } from '../../server/src/rules';
import type { Rule } from '../../server/src/rules/rule';
import { analyze, pythonParser } from './analyze';

const LOADER = `import torch
from torch.utils.data import DataLoader
loader = DataLoader(ds, batch_size=8)
model = torch.nn.DataParallel(model)
`;

describe('engine', () => {
  it('keeps other rules running when one throws, and reports the failure with rule and file', async () => {
    const parser = await pythonParser();
    const tree = parser.parse(LOADER)!;
    const broken: Rule = { meta: { ...RULES[0]!.meta, id: 'GA999' }, check: () => { throw new Error('boom'); } };
    const outcome = analyzePython(tree, LOADER, 'file:///x.py', { ...defaultSettings(), rules: { GA999: 'warning' } }, [broken, ...RULES]);
    tree.delete();
    assert.equal(outcome.failures.length, 1);
    assert.equal(outcome.failures[0]!.ruleId, 'GA999');
    assert.equal(outcome.failures[0]!.uri, 'file:///x.py');
    assert.deepEqual(outcome.findings.map((f) => f.ruleId), ['GA201', 'GA202', 'GA501']);
  });

  it('honours suppression comments for the listed rules only', async () => {
    const text = LOADER.replace('batch_size=8)', 'batch_size=8)  # green-ai: ignore[GA202, GA201]').replace('(model)\n', '(model)  # green-ai: ignore\n');
    const outcome = await analyze(text);
    assert.deepEqual(outcome.findings, []);
    const partial = await analyze(LOADER.replace('(model)\n', '(model)  # green-ai: ignore[GA201]\n'));
    assert.deepEqual(partial.findings.map((f) => f.ruleId), ['GA201', 'GA202', 'GA501']);
  });

  it('runs advanced/off rules only when configured, at the configured severity', async () => {
    assert.deepEqual((await analyze(LOADER, { rules: { GA501: 'off' } })).findings.map((f) => f.ruleId), ['GA201', 'GA202']);
    const hinted = await analyze(LOADER, { rules: { GA201: 'hint' } });
    assert.equal(hinted.findings.find((f) => f.ruleId === 'GA201')!.severity, 'hint');
    assert.equal((await analyze(LOADER, { enable: true, rules: {} })).findings.length, 3);
  });

  it('skips binary, undecodable and oversized content with a note', () => {
    const settings = defaultSettings();
    assert.match(precheck('import torch\x00\x01', settings)!.message, /binary/);
    assert.match(precheck('\ufffd'.repeat(100), settings)!.message, /UTF-8/);
    assert.match(precheck('x'.repeat(3 * 1024 * 1024), settings)!.message, /maxFileSizeMB \(2 MB\)/);
    assert.equal(precheck(LOADER, settings), null);
  });

  it('analyses broken Python without throwing and still finds what parses', async () => {
    const outcome = await analyze(`${LOADER}\ndef broken(:\n    for x in\n`);
    assert.deepEqual(outcome.failures, []);
    assert.ok(outcome.findings.some((f) => f.ruleId === 'GA501'));
  });
});
