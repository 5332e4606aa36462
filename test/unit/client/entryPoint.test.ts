import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findEntryPoint } from '../../../client/src/features/entryPoint';

const lines = (...text: string[]) => text.join('\n');

describe('client: entry point of a script (run lens placement)', () => {
  it('puts the lens on the main guard, in either quote style and order', () => {
    assert.deepEqual(findEntryPoint(lines('import torch', '', 'def main():', '    pass', '', 'if __name__ == "__main__":', '    main()')), { line: 5, kind: 'main-guard' });
    assert.deepEqual(findEntryPoint(lines("if __name__=='__main__':", '    main()')), { line: 0, kind: 'main-guard' });
    assert.deepEqual(findEntryPoint(lines('x = 1', "if '__main__' == __name__ :", '    main()')), { line: 1, kind: 'main-guard' });
  });

  it('prefers the main guard over an earlier top-level training loop', () => {
    const text = lines('for epoch in range(3):', '    loss.backward()', 'if __name__ == "__main__":', '    pass');
    assert.deepEqual(findEntryPoint(text), { line: 2, kind: 'main-guard' });
  });

  it('falls back to the first top-level loop that trains, skipping loops that do not', () => {
    const text = lines('for name in files:', '    print(name)', '', 'for x, y in loader:', '    optimizer.zero_grad()', '    loss_fn(model(x), y).backward()', '    optimizer.step()', 'print("done")');
    assert.deepEqual(findEntryPoint(text), { line: 3, kind: 'training-loop' });
  });

  it('finds the e2e fixture\'s epoch loop', () => {
    const text = readFileSync(path.resolve('test/e2e/workspace/train.py'), 'utf8');
    const entry = findEntryPoint(text);
    assert.equal(entry?.kind, 'training-loop');
    assert.match(text.split('\n')[entry!.line]!, /^for epoch in range\(3\):/);
  });

  it('uses a top-level trainer.train() / fit() call when there is no loop or guard', () => {
    assert.deepEqual(findEntryPoint(lines('trainer = Trainer(model=model, args=args)', 'trainer.train()')), { line: 1, kind: 'training-call' });
    assert.deepEqual(findEntryPoint(lines('model.compile()', 'history = model.fit(x, y, epochs=3)')), { line: 1, kind: 'training-call' });
  });

  it('ignores guards and loops inside docstrings, comments and indented code', () => {
    const text = lines('"""Usage:', 'if __name__ == "__main__":', 'for epoch in range(3): loss.backward()', '"""', '# if __name__ == "__main__":', 'def f():', '    if __name__ == "__main__":', '        pass');
    assert.equal(findEntryPoint(text), undefined);
  });

  it('has no entry point in a plain module', () => {
    assert.equal(findEntryPoint(lines('import os', 'def helper():', '    return 1')), undefined);
  });

  it('finds the guard of every bundled example that has one', () => {
    const text = readFileSync(path.resolve('examples/mnist_cnn.py'), 'utf8');
    const entry = findEntryPoint(text);
    assert.equal(entry?.kind, 'main-guard');
    assert.match(text.split('\n')[entry!.line]!, /^if __name__ == "__main__":/);
  });
});
