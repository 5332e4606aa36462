import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../server/src/cli/main';
import { readNotebook } from '../../../server/src/notebooks/ipynb';

function notebook(cells: { cell_type: string; source: string | string[]; id?: string }[], extra: Record<string, unknown> = {}): string {
  const full = cells.map((cell) => (cell.cell_type === 'code' ? { ...cell, metadata: {}, outputs: [], execution_count: null } : { ...cell, metadata: {} }));
  return JSON.stringify({ cells: full, metadata: { kernelspec: { language: 'python', name: 'python3' } }, nbformat: 4, nbformat_minor: 5, ...extra }, null, 1) + '\n';
}

const TRAINING = notebook([
  { cell_type: 'code', id: 'imports', source: ['import torch\n', 'from torch.utils.data import DataLoader'] },
  { cell_type: 'markdown', source: '## Data' },
  // The quote in the comment is escaped in the JSON: the SARIF column must still land on `DataLoader`.
  { cell_type: 'code', id: 'data', source: ['# "train" split\n', 'loader = DataLoader(ds, batch_size=8, pin_memory=True)'] },
]);

async function runCli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd });
  return { code, stdout, stderr };
}

function folderWith(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'green-ai-nb-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text);
  return root;
}

describe('notebooks in green-ai check', () => {
  it('finds .ipynb files in a folder and prints findings with their 1-based cell number', async () => {
    const root = folderWith({ 'train.ipynb': TRAINING, 'notes.txt': 'x' });
    const { code, stdout } = await runCli(['check', root], root);
    assert.equal(stdout, 'train.ipynb:cell 3:2:10: warning GA201 DataLoader has no num_workers (defaults to 0): batches are loaded in the training process while the GPU waits.\n1 finding in 1 of 1 file\n');
    assert.equal(code, 1);
  });

  it('reports the cell, its id and the in-cell range in JSON', async () => {
    const root = folderWith({ 'train.ipynb': TRAINING });
    const report = JSON.parse((await runCli(['check', 'train.ipynb', '--format', 'json'], root)).stdout);
    assert.deepEqual(report.findings.map((f: Record<string, unknown>) => ({ ...f, message: undefined })), [
      { file: 'train.ipynb', cell: 3, cellId: 'data', range: { start: { line: 1, character: 9 }, end: { line: 1, character: 54 } }, code: 'GA201', severity: 'warning', message: undefined },
    ]);
  });

  it('points SARIF at the .ipynb text that holds the code and names the cell', async () => {
    const root = folderWith({ 'train.ipynb': TRAINING });
    const sarif = JSON.parse((await runCli(['check', 'train.ipynb', '--format', 'sarif'], root)).stdout);
    const [result] = sarif.runs[0].results;
    const location = result.locations[0];
    assert.equal(location.physicalLocation.artifactLocation.uri, 'train.ipynb');
    const region = location.physicalLocation.region;
    const fileLine = TRAINING.split('\n')[region.startLine - 1]!;
    assert.equal(fileLine.slice(region.startColumn - 1, region.endColumn - 1), 'DataLoader(ds, batch_size=8, pin_memory=True)');
    assert.deepEqual(location.logicalLocations, [{ name: 'cell 3', kind: 'module' }]);
    assert.deepEqual(result.properties.notebookCell, { cell: 3, cellId: 'data', startLine: 2, startColumn: 10, endLine: 2, endColumn: 55 });
  });

  it('locates a finding in a cell whose source is one string with escapes', async () => {
    const text = notebook([{ cell_type: 'code', source: 'import torch\nfrom torch.utils.data import DataLoader\nname = "a\\tb"; loader = DataLoader(ds, pin_memory=True)' }]);
    const root = folderWith({ 'one.ipynb': text });
    const sarif = JSON.parse((await runCli(['check', 'one.ipynb', '--format', 'sarif'], root)).stdout);
    const region = sarif.runs[0].results[0].locations[0].physicalLocation.region;
    assert.equal(text.split('\n')[region.startLine - 1]!.slice(region.startColumn - 1, region.endColumn - 1), 'DataLoader(ds, pin_memory=True)');
  });

  it('turns a malformed notebook into one GA000 note that names the problem, without failing the run', async () => {
    const root = folderWith({
      'broken.ipynb': '{"cells": [\n  {"cell_type": "code", "source": 3}\n], "nbformat": 4}',
      'truncated.ipynb': '{"cells": [\n',
    });
    const { code, stdout, stderr } = await runCli(['check', root], root);
    assert.equal(stderr, '');
    assert.equal(code, 0, 'GA000 notes never fail a run');
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], 'broken.ipynb:2:35: information GA000 Green AI could not read this notebook: "cells[0].source" must be a string or a list of strings.');
    assert.match(lines[1]!, /^truncated\.ipynb:2:1: information GA000 Green AI could not read this notebook: not valid JSON \(/);
  });

  it('explains a missing key, an nbformat 3 notebook and a non-Python kernel', () => {
    const missing = readNotebook('{"nbformat": 4}');
    assert.ok(!missing.ok && missing.message === '"cells" is missing', JSON.stringify(missing));
    const old = readNotebook('{"nbformat": 3, "cells": []}');
    assert.ok(!old.ok && /"nbformat" must be 4/.test(old.message) && old.range.start.character === 13, JSON.stringify(old));
    const noSource = readNotebook('{"nbformat": 4, "cells": [{"cell_type": "code"}]}');
    assert.ok(!noSource.ok && noSource.message === '"cells[0].source" is missing' && noSource.range.start.character === 26, JSON.stringify(noSource));
    const stringVersion = readNotebook('{"nbformat": "4", "cells": []}');
    assert.ok(!stringVersion.ok && stringVersion.message === '"nbformat" must be a number (the nbformat major version)', JSON.stringify(stringVersion));
    const list = readNotebook('[]');
    assert.ok(!list.ok && list.message === 'the notebook must be a JSON object with "nbformat" and "cells"', JSON.stringify(list));
    const wrongType = readNotebook('{"nbformat": 4, "cells": [{"cell_type": "heading", "source": ""}]}');
    assert.ok(!wrongType.ok && wrongType.message === '"cells[0].cell_type" must be "code", "markdown" or "raw"', JSON.stringify(wrongType));
    const r = readNotebook(notebook([{ cell_type: 'code', source: 'library(ggplot2)' }], { metadata: { kernelspec: { language: 'R' } } }));
    assert.ok(r.ok && r.language === 'R');
  });

  it('skips a notebook for another kernel language with a note', async () => {
    const root = folderWith({ 'r.ipynb': notebook([{ cell_type: 'code', source: 'x <- 1' }], { metadata: { kernelspec: { language: 'R' } } }) });
    const { stdout } = await runCli(['check', root], root);
    assert.match(stdout, /^r\.ipynb:1:1: information GA000 Green AI skipped this notebook: its kernel language is R, not Python\.\n/);
  });
});
