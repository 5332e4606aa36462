/** The example notebook's expected findings (examples/README.md lists them): `cell:line:col rule`, all 1-based. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeNotebookText } from '../../../server/src/notebooks/ipynb';
import { pythonParser } from '../analyze';

const EXAMPLE = path.join(__dirname, '..', '..', '..', 'examples', 'notebooks', 'finetune_classifier.ipynb');

describe('examples/notebooks/finetune_classifier.ipynb', () => {
  it('has the findings examples/README.md lists, on the right cells', async () => {
    const { findings, failures } = analyzeNotebookText(await pythonParser(), readFileSync(EXAMPLE, 'utf8'), EXAMPLE, defaultSettings());
    assert.deepEqual(failures, []);
    assert.deepEqual(
      findings.map((f) => `${f.notebook?.cell}:${f.range.start.line + 1}:${f.range.start.character + 1} ${f.ruleId}`),
      // No GA203 on test_loader (cell 5, line 10): it is iterated once, in the evaluation cell, so no workers are re-spawned.
      ['5:9:16 GA201', '5:9:16 GA202', '8:9:9 GA101', '10:6:19 GA301'],
    );
  });
});
