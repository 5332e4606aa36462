/**
 * The call facts of analysis/syntax.ts are memoised by node id, and tree-sitter reuses a freed tree's ids for the next
 * tree: the memo must belong to its tree, or a second file analysed in the same process (two files given to
 * `green-ai estimate`) is answered with the first file's callees.
 */
import assert from 'node:assert/strict';
import { calleeMethod, calleeName, keywordValue } from '../../server/src/analysis/syntax';
import { pythonParser } from './analyze';

describe('syntax: call facts memoised per tree', () => {
  it('answers about each tree even when a freed tree reused the same node ids', async () => {
    const parser = await pythonParser();
    const programs = [
      ['loader = DataLoader(ds, num_workers=4)\n', 'DataLoader', 'DataLoader', '4'],
      ['model = nn.DataParallel(net, dim=0)\n', 'nn.DataParallel', 'DataParallel', null],
      ['opt.zero_grad(set_to_none=False)\n', 'opt.zero_grad', 'zero_grad', null],
    ] as const;
    const ids = new Set<number>();
    for (let round = 0; round < 3; round++) {
      for (const [text, name, method, workers] of programs) {
        const tree = parser.parse(text)!;
        const call = tree.rootNode.descendantsOfType('call')[0]!;
        ids.add(call.id);
        assert.equal(calleeName(call), name);
        assert.equal(calleeMethod(call), method);
        assert.equal(keywordValue(call, 'num_workers')?.text ?? null, workers);
        tree.delete();
      }
    }
    // The point of the test: the allocator did hand the same ids to different trees.
    assert.ok(ids.size < 9, `node ids were all distinct (${ids.size}); the reuse this test guards against did not happen`);
  });
});
