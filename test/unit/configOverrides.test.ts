/**
 * nanoGPT-style `config/*.py` overrides (server/src/analysis/configOverrides.ts): a global that a config file
 * re-assigns after `exec(open('configurator.py').read())` is no longer the script's literal, so rules about a
 * missing or low value stay silent, and the alternatives can be listed; the disk reader reads `dir/*.py`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultSettings } from '../../shared/src/settings';
import { literalValue, type SiblingFileReader } from '../../server/src/analysis/configOverrides';
import { AnalysisContext } from '../../server/src/analysis/context';
import { analyzePython } from '../../server/src/analysis/engine';
import { siblingFileReaderFor } from '../../server/src/analysis/siblingFileReader';
import { descendantsOfType } from '../../server/src/analysis/syntax';
import { pythonParser } from './analyze';

const SCRIPT = `import torch
from torch.utils.data import DataLoader

num_workers = 0
batch_size = 64
exec(open("configurator.py").read())

loader = DataLoader(torch.arange(10), batch_size=batch_size, num_workers=num_workers)
model = torch.nn.Linear(1, 1).cuda()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x in loader:
    loss = model(x.float().cuda()).sum()
    loss.backward()
    optimizer.step()
`;

function reader(files: Record<string, string>): SiblingFileReader {
  return (glob) => {
    assert.equal(glob, 'config/*.py');
    return Object.entries(files).map(([name, text]) => ({ path: `config/${name}`, text }));
  };
}

async function findingsOf(text: string, siblingFiles?: SiblingFileReader): Promise<string[]> {
  const tree = (await pythonParser()).parse(text)!;
  try {
    const outcome = analyzePython(tree, text, 'file:///train.py', defaultSettings(), undefined, { estimates: false, ...(siblingFiles ? { siblingFiles } : {}) });
    assert.deepEqual(outcome.failures, []);
    return outcome.findings.map((f) => `${f.range.start.line + 1} ${f.ruleId}`);
  } finally {
    tree.delete();
  }
}

describe('config/*.py overrides (nanoGPT configurator)', () => {
  it('without a reader, the script value decides (GA201 on num_workers = 0)', async () => {
    assert.ok((await findingsOf(SCRIPT)).includes('8 GA201'));
  });

  it('a config file that sets the global to another value silences the rule about a low value', async () => {
    const findings = await findingsOf(SCRIPT, reader({ 'train_fast.py': '# fast data loading\nnum_workers = 8\nbatch_size = 128  # bigger\n' }));
    assert.ok(!findings.includes('8 GA201'), findings.join(', '));
  });

  it('configs that agree with the script or set other globals change nothing', async () => {
    const same = await findingsOf(SCRIPT, reader({ 'a.py': 'num_workers = 0\n', 'b.py': "wandb_project = 'owt'\nlearning_rate = 6e-4\n" }));
    assert.ok(same.includes('8 GA201'), same.join(', '));
  });

  it('needs the configurator exec: configs next to a script that never loads them are ignored', async () => {
    const text = SCRIPT.replace('exec(open("configurator.py").read())\n', '');
    assert.ok((await findingsOf(text, reader({ 'train_fast.py': 'num_workers = 8\n' }))).includes('7 GA201'));
  });

  it('lists the alternatives of an overridden global, with the file and line that set them', async () => {
    const tree = (await pythonParser()).parse(SCRIPT)!;
    try {
      const context = new AnalysisContext(tree, SCRIPT, 'file:///train.py', defaultSettings(), reader({ 'train_fast.py': '\nnum_workers = 8\n', 'odd.py': 'num_workers = os.cpu_count()\n' }));
      const use = descendantsOfType(tree.rootNode, 'identifier').filter((id) => id.text === 'num_workers').at(-1)!;
      assert.deepEqual(context.values().resolve(use), { kind: 'unknown' });
      assert.deepEqual(context.values().overridesOf(use), [
        { value: { kind: 'number', value: 8 }, from: 'config/train_fast.py:2' },
        { value: { kind: 'unknown' }, from: 'config/odd.py:1' },
      ]);
      // A global read above the exec statement still has the script's value.
      const early = `x = 1\ny = x\nexec(open('configurator.py').read())\n`;
      const earlyTree = (await pythonParser()).parse(early)!;
      try {
        const earlyContext = new AnalysisContext(earlyTree, early, 'file:///t.py', defaultSettings(), reader({ 'c.py': 'x = 2\n' }));
        const read = descendantsOfType(earlyTree.rootNode, 'identifier').filter((id) => id.text === 'x')[1]!;
        assert.deepEqual(earlyContext.values().resolve(read), { kind: 'number', value: 1 });
      } finally {
        earlyTree.delete();
      }
    } finally {
      tree.delete();
    }
  });

  it('reads one-line Python literals and nothing else', () => {
    assert.deepEqual(literalValue('5_000'), { kind: 'number', value: 5000 });
    assert.deepEqual(literalValue('6e-4'), { kind: 'number', value: 6e-4 });
    assert.deepEqual(literalValue('False'), { kind: 'bool', value: false });
    assert.deepEqual(literalValue("'shakespeare_char'"), { kind: 'string', value: 'shakespeare_char' });
    assert.deepEqual(literalValue('5 * 8'), { kind: 'unknown' });
    assert.deepEqual(literalValue('None'), { kind: 'none' });
  });

  it('the disk reader reads config/*.py next to a file path or file: URI, and nothing for other schemes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'green-ai-config-'));
    try {
      mkdirSync(path.join(dir, 'config'));
      writeFileSync(path.join(dir, 'config', 'train_gpt2.py'), 'batch_size = 12\n');
      writeFileSync(path.join(dir, 'config', 'notes.txt'), 'not python\n');
      const script = path.join(dir, 'train.py');
      assert.deepEqual(siblingFileReaderFor(script)!('config/*.py'), [{ path: path.join('config', 'train_gpt2.py'), text: 'batch_size = 12\n' }]);
      assert.equal(siblingFileReaderFor(pathToFileURL(script).href)!('config/*.py').length, 1);
      assert.deepEqual(siblingFileReaderFor(path.join(dir, 'nested', 'x.py'))!('config/*.py'), []);
      assert.equal(siblingFileReaderFor('untitled:Untitled-1'), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
