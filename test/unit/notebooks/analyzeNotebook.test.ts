import assert from 'node:assert/strict';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeNotebook, type CellFinding } from '../../../server/src/notebooks/analyzeNotebook';
import { applyEdits, pythonParser } from '../analyze';

const IMPORTS = { index: 0, text: 'import torch\nfrom torch.utils.data import DataLoader' };
// Index 1 is a markdown cell: it is not part of the program, and the numbering keeps its place.
const MODEL = { index: 2, text: 'model = torch.nn.Linear(4, 2).cuda()\nopt = torch.optim.SGD(model.parameters(), lr=0.1)' };
const TRAIN = {
  index: 3,
  text: [
    '# data',
    'loader = DataLoader(ds, batch_size=8)',
    'for x, y in loader:',
    '    x, y = x.cuda(), y.cuda()',
    '    loss = torch.nn.functional.cross_entropy(model(x), y)',
    '    opt.zero_grad()',
    '    loss.backward()',
    '    opt.step()',
  ].join('\n'),
};
const EVAL = { index: 4, text: 'model.eval()\nfor x, y in loader:\n    out = model(x.cuda())' };

async function run(cells: { index: number; text: string }[]): Promise<CellFinding[]> {
  return analyzeNotebook(await pythonParser(), cells, 'file:///nb.ipynb', defaultSettings()).findings;
}

function only(findings: CellFinding[], ruleId: string): CellFinding {
  const matching = findings.filter((f) => f.ruleId === ruleId);
  assert.equal(matching.length, 1, `one ${ruleId} in ${JSON.stringify(findings.map((f) => f.ruleId))}`);
  return matching[0]!;
}

describe('analyzeNotebook', () => {
  it('analyses the code cells as one program and maps a finding in cell 3 to its line and column there', async () => {
    const findings = await run([IMPORTS, MODEL, TRAIN, EVAL]);
    const dataLoader = only(findings, 'GA201');
    assert.equal(dataLoader.cell, 3);
    assert.deepEqual(dataLoader.range, { start: { line: 1, character: 9 }, end: { line: 1, character: 37 } });
    // The training loop needs facts from three cells: imports (0), a model on the GPU (2) and the loop (3).
    const amp = only(findings, 'GA101');
    assert.equal(amp.cell, 3);
    assert.equal(amp.range.start.line, 6);
    assert.equal(only(findings, 'GA301').cell, 4);
  });

  it('puts the import a fix adds into the cell that holds the imports, and the rest into the finding\'s cell', async () => {
    const fix = only(await run([IMPORTS, MODEL, TRAIN]), 'GA201').fixes[0]!;
    assert.deepEqual(fix.edits.map((e) => e.cell).sort(), [0, 3]);
    const importCell = applyEdits(IMPORTS.text, fix.edits.filter((e) => e.cell === 0).map((e) => e.edit));
    assert.equal(importCell, 'import torch\nfrom torch.utils.data import DataLoader\nimport os');
    const fixedTrain = applyEdits(TRAIN.text, fix.edits.filter((e) => e.cell === 3).map((e) => e.edit));
    assert.match(fixedTrain.split('\n')[1]!, /^loader = DataLoader\(ds, batch_size=8, num_workers=min\(8, os\.cpu_count\(\) or 1\)\)$/);
    const after = await run([{ ...IMPORTS, text: importCell }, MODEL, { ...TRAIN, text: fixedTrain }]);
    assert.equal(after.filter((f) => f.ruleId === 'GA201').length, 0, 'the fixed notebook no longer has GA201');
  });

  it('drops a fix whose edit would span two cells, and keeps the finding', async () => {
    const alone = only(await run([IMPORTS, MODEL, TRAIN, EVAL]), 'GA301');
    assert.ok(alone.fixes.length > 0, 'the no_grad wrap is offered when the evaluation is in one cell');
    // The evaluation goes on in the next cell: wrapping it would rewrite both cells.
    const spanning = only(await run([IMPORTS, MODEL, TRAIN, EVAL, { index: 5, text: 'print(model(x.cuda()))' }]), 'GA301');
    assert.equal(spanning.cell, 4);
    assert.deepEqual(spanning.fixes, []);
  });

  it('still parses and finds the loop when cells hold magics, shell escapes and a %%time cell', async () => {
    const findings = await run([
      { index: 0, text: '!pip install -q torch\n%load_ext autoreload' },
      IMPORTS,
      MODEL,
      { index: 3, text: `%%time\n${TRAIN.text}` },
    ]);
    const amp = only(findings, 'GA101');
    assert.equal(amp.cell, 3);
    assert.equal(amp.range.start.line, 7, 'one line further down, after %%time');
  });

  it('maps findings past empty cells and honours a suppression comment in a cell', async () => {
    const findings = await run([IMPORTS, { index: 1, text: '' }, MODEL, { index: 3, text: 'loader = DataLoader(ds)  # green-ai: ignore[GA201]' }]);
    assert.equal(findings.filter((f) => f.ruleId === 'GA201').length, 0);
    assert.equal(only(findings, 'GA202').cell, 3);
  });

  it('gives a too-large notebook one note on its first code cell', async () => {
    const big = { index: 4, text: `x = "${'a'.repeat(3 * 1024 * 1024)}"` };
    const findings = await run([{ index: 2, text: 'import torch' }, big]);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.ruleId, 'GA000');
    assert.equal(findings[0]!.cell, 2);
  });
});

describe('analyzeNotebook estimate', () => {
  it('puts the run estimate\'s entry on the cell that holds the training loop', async () => {
    const outcome = analyzeNotebook(await pythonParser(), [IMPORTS, MODEL, TRAIN, EVAL], 'file:///nb.ipynb', defaultSettings());
    assert.equal(outcome.estimate?.cell, 3);
    assert.equal(outcome.estimate?.estimate.entry.start.line, 2, '`for x, y in loader:` is line 2 of cell 3');
  });
});
