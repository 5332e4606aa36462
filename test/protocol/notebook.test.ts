/** A Jupyter notebook through LSP notebook document sync: per-cell diagnostics, hover and fixes, edits, removed cells, close. */
import assert from 'node:assert/strict';
import type { CodeAction, CodeLens, Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { LspSession } from './lspSession';

const NOTEBOOK = 'file:///work/nb/train.ipynb';
const cell = (n: number) => `vscode-notebook-cell:/work/nb/train.ipynb#cell${n}`;
const CELLS = [
  { uri: cell(0), text: 'import torch\nfrom torch.utils.data import DataLoader' },
  { uri: cell(1), text: '## Training', kind: 1 as const, languageId: 'markdown' },
  { uri: cell(2), text: 'model = torch.nn.Linear(4, 2).cuda()\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nloader = DataLoader(ds, batch_size=8, pin_memory=True)' },
  {
    uri: cell(3),
    text: '%%time\nfor x, y in loader:\n    loss = torch.nn.functional.cross_entropy(model(x.cuda()), y.cuda())\n    opt.zero_grad()\n    loss.backward()\n    opt.step()',
  },
];

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character}:${String(d.code)}`).sort();

describe('language server: Jupyter notebooks', function () {
  let session: LspSession;

  beforeEach(async () => {
    session = new LspSession();
    const result = (await session.initialize()) as { capabilities: { notebookDocumentSync?: { notebookSelector: unknown[] } } };
    assert.deepEqual(result.capabilities.notebookDocumentSync?.notebookSelector, [{ notebook: 'jupyter-notebook', cells: [{ language: 'python' }] }]);
  });

  afterEach(async () => {
    await session.dispose();
  });

  it('publishes each finding on its own cell, updates on edits, clears removed cells and closed notebooks', async () => {
    await session.openNotebook(NOTEBOOK, CELLS);
    assert.deepEqual(codes(await session.diagnosticsFor(cell(2))), ['2:9:GA201']);
    assert.deepEqual(codes(await session.diagnosticsFor(cell(3))), ['2:51:GA204', '4:4:GA101'], 'lines of cell 3, counted after the %%time line');
    assert.equal(session.publishedCount(cell(0)), 0, 'no findings, nothing published on the import cell');

    // The run's estimate lens sits on the training loop, in the cell that holds it.
    const lenses = (await session.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: cell(3) } })) as CodeLens[];
    assert.equal(lenses.length, 1, JSON.stringify(lenses));
    assert.equal(lenses[0]!.range.start.line, 1);
    assert.match(lenses[0]!.command!.title, /kWh|Wh|estimate|needs/i);
    assert.deepEqual(await session.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: cell(2) } }), []);

    const hover = (await session.connection.sendRequest('textDocument/hover', { textDocument: { uri: cell(2) }, position: { line: 2, character: 12 } })) as Hover;
    assert.match(JSON.stringify(hover.contents), /GA201/);

    const diagnostic = (await session.diagnosticsFor(cell(2)))[0]!;
    const actions = (await session.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: cell(2) },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    })) as CodeAction[];
    const fix = actions.find((a) => a.title.startsWith('Set num_workers'));
    assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
    assert.deepEqual(Object.keys(fix.edit!.changes!).sort(), [cell(0), cell(2)], 'import os goes to the import cell, the argument to cell 2');
    assert.ok(actions.some((a) => a.title === 'Suppress GA201 on this line' && a.edit?.changes?.[cell(2)]?.[0]?.range.start.line === 2));

    // Give the loader workers: GA201 goes from cell 2, GA101 stays on cell 3.
    const published = session.publishedCount(cell(2));
    await session.changeNotebook(NOTEBOOK, 2, {
      cells: {
        textContent: [
          {
            document: { uri: cell(2), version: 2 },
            changes: [{ range: { start: { line: 2, character: 53 }, end: { line: 2, character: 53 } }, text: ', num_workers=4' }],
          },
        ],
      },
    });
    await session.waitFor(() => session.publishedCount(cell(2)) > published, 10_000, 'cell 2 re-published');
    assert.deepEqual(codes(await session.diagnosticsFor(cell(2), (p) => p.version === 2)), []);

    // Remove the training cell: its diagnostics are cleared.
    const before = session.publishedCount(cell(3));
    await session.changeNotebook(NOTEBOOK, 3, { cells: { structure: { array: { start: 3, deleteCount: 1 }, didClose: [{ uri: cell(3) }] } } });
    await session.waitFor(() => session.publishedCount(cell(3)) > before, 10_000, 'cell 3 cleared');
    assert.deepEqual(await session.diagnosticsFor(cell(3), (p) => p.diagnostics.length === 0), []);
  });

  it('hovers a data-table value in a cell, with the range in that cell', async () => {
    const uri = 'file:///work/nb/data.ipynb';
    const cells = [
      { uri: `${uri}#a`, text: 'from transformers import AutoModelForSequenceClassification' },
      { uri: `${uri}#b`, text: 'x = 1\nmodel = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")' },
    ];
    await session.openNotebook(uri, cells);
    const hover = (await session.connection.sendRequest('textDocument/hover', { textDocument: { uri: `${uri}#b` }, position: { line: 1, character: 70 } })) as Hover | null;
    assert.ok(hover, 'a hover on the checkpoint name');
    assert.match(JSON.stringify(hover.contents), /bert-base-uncased/i);
    assert.equal(hover.range?.start.line, 1, 'line 1 of the second cell, not of the program');
  });

  it('survives a broken cell and clears diagnostics when the notebook closes', async () => {
    const broken = [...CELLS.slice(0, 3), { uri: cell(3), text: 'for x in (:\n    !nvidia-smi\n' }, { uri: cell(4), text: 'x = model(' }];
    await session.openNotebook(NOTEBOOK, broken);
    assert.deepEqual(codes(await session.diagnosticsFor(cell(2))), ['2:9:GA201']);
    const count = session.publishedCount(cell(2));
    await session.closeNotebook(NOTEBOOK, broken.map((c) => c.uri));
    await session.waitFor(() => session.publishedCount(cell(2)) > count, 10_000, 'cell 2 cleared on close');
    assert.deepEqual(await session.diagnosticsFor(cell(2), (p) => p.diagnostics.length === 0), []);
    assert.equal(session.stderr.join(''), '');
  });
});
