import assert from 'node:assert/strict';
import { blankMagics, buildProgram, toCell, toCellRange, toEditRange, toProgram } from '../../../server/src/notebooks/program';

describe('notebook program: concatenation and position mapping', () => {
  it('blanks IPython line magics, shell escapes, magic assignments and help lines, keeping one line per line', () => {
    const cell = [
      '!pip install -q torch',
      '%matplotlib inline',
      'files = !ls data',
      'model?',
      'for f in files:',
      '    !wc -l {f}',
      'x = a % b',
      'print("!not a magic")',
    ].join('\n');
    assert.deepEqual(blankMagics(cell), ['', '', '', '', 'for f in files:', '    pass', 'x = a % b', 'print("!not a magic")']);
  });

  it('keeps the Python body of %%time cells and blanks other cell magics whole', () => {
    assert.deepEqual(blankMagics('%%time\nfor x in loader:\n    step(x)'), ['', 'for x in loader:', '    step(x)']);
    assert.deepEqual(blankMagics('%%bash\nnvidia-smi\necho done'), ['', '', '']);
    assert.deepEqual(blankMagics('%%writefile train.py\nimport torch'), ['', '']);
  });

  it('joins code cells in order, one program line per cell line, empty cells included', () => {
    const program = buildProgram([
      { index: 0, text: 'import torch\nx = 1' },
      { index: 2, text: '' },
      { index: 3, text: 'y = 2\r\n' },
      { index: 5, text: '%%bash\nls' },
    ]);
    assert.equal(program.text, 'import torch\nx = 1\n\ny = 2\n\n\n');
    assert.equal(program.lines.length, 7);
    assert.deepEqual(toCell(program, { line: 3, character: 4 }), { cell: 3, position: { line: 0, character: 4 } });
    assert.deepEqual(toCell(program, { line: 2, character: 0 }), { cell: 2, position: { line: 0, character: 0 } });
    assert.deepEqual(toCell(program, { line: 6, character: 1 }), { cell: 5, position: { line: 1, character: 1 } });
    assert.deepEqual(toProgram(program, 3, { line: 0, character: 4 }), { line: 3, character: 4 });
    assert.deepEqual(toProgram(program, 5, { line: 1, character: 0 }), { line: 6, character: 0 });
    assert.equal(toProgram(program, 1, { line: 0, character: 0 }), null, 'cell 1 (markdown) is not in the program');
  });

  it('cuts a finding range that runs into the next cell at the end of its own cell', () => {
    const program = buildProgram([
      { index: 0, text: 'for x in y:' },
      { index: 1, text: '    step(x)\n    more(x)' },
    ]);
    assert.deepEqual(toCellRange(program, { start: { line: 0, character: 0 }, end: { line: 2, character: 11 } }), {
      cell: 0,
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 11 } },
    });
  });

  it('maps an edit inside one cell, refuses one spanning two cells, and stops a deleted last line at its cell end', () => {
    const program = buildProgram([
      { index: 0, text: 'a = 1\nb = 2' },
      { index: 1, text: 'c = 3\nd = 4' },
      { index: 2, text: 'e = 5' },
    ]);
    assert.deepEqual(toEditRange(program, { start: { line: 2, character: 0 }, end: { line: 3, character: 5 } }), {
      cell: 1,
      range: { start: { line: 0, character: 0 }, end: { line: 1, character: 5 } },
    });
    assert.equal(toEditRange(program, { start: { line: 1, character: 0 }, end: { line: 2, character: 5 } }), null);
    assert.equal(toEditRange(program, { start: { line: 1, character: 0 }, end: { line: 4, character: 0 } }), null, 'two cells later');
    // Deleting `b = 2` with its line break would also delete the boundary between cells 0 and 1.
    assert.deepEqual(toEditRange(program, { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }), {
      cell: 0,
      range: { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } },
    });
  });
});
