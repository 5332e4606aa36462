/** Incremental parsing must give the same tree as a fresh parse, whatever the edits. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ParsedDocument } from '../../server/src/documents/parsedDocument';
import { pythonParser } from './analyze';

const SOURCE = readFileSync(path.join(__dirname, '..', '..', 'examples', 'mnist_cnn.py'), 'utf8') + '\ns = "é😀 ünïcode"\n';

describe('ParsedDocument', () => {
  it('re-parses incrementally and matches a full parse after random edits (property)', async () => {
    const parser = await pythonParser();
    const snippets = ['x', '\n', '    ', 'loss.backward()\n', '😀', 'é', '(', ')', ':', '"', 'DataLoader(ds)', ''];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.constantFrom(...snippets)), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        async (edits, batch) => {
          const document = new ParsedDocument(TextDocument.create('file:///p.py', 'python', 1, SOURCE), parser);
          document.tree();
          let version = 1;
          for (let i = 0; i < edits.length; i += batch) {
            const changes = edits.slice(i, i + batch).map(([start, length, text]) => {
              // Each change is expressed against the text as left by the previous change, as LSP requires.
              return { start, length, text };
            });
            const contentChanges = [];
            let text = document.document.getText();
            for (const change of changes) {
              const temp = TextDocument.create('file:///t.py', 'python', 0, text);
              const startOffset = change.start % (text.length + 1);
              const endOffset = Math.min(text.length, startOffset + change.length);
              const range = { start: temp.positionAt(startOffset), end: temp.positionAt(endOffset) };
              contentChanges.push({ range, text: change.text });
              text = text.slice(0, startOffset) + change.text + text.slice(endOffset);
            }
            document.applyChanges(contentChanges, ++version);
            assert.equal(document.document.getText(), text);
            const incremental = document.tree().rootNode.toString();
            const fresh = parser.parse(text)!;
            try {
              assert.equal(incremental, fresh.rootNode.toString());
            } finally {
              fresh.delete();
            }
          }
          assert.equal(document.fullParses, 1, 'only the first parse is a full one');
          assert.ok(document.incrementalParses >= 1);
          document.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('parses once for several edits between two analyses, and fully after a whole-text change', async () => {
    const parser = await pythonParser();
    const document = new ParsedDocument(TextDocument.create('file:///p.py', 'python', 1, 'a = 1\n'), parser);
    document.tree();
    document.applyChanges([{ range: { start: { line: 0, character: 5 }, end: { line: 0, character: 5 } }, text: '2' }], 2);
    document.applyChanges([{ range: { start: { line: 0, character: 6 }, end: { line: 0, character: 6 } }, text: '3' }], 3);
    assert.equal(document.tree().rootNode.text, 'a = 123\n');
    assert.equal(document.tree(), document.tree(), 'no re-parse without a change');
    assert.deepEqual([document.fullParses, document.incrementalParses], [1, 1]);
    document.applyChanges([{ text: 'b = 2\n' }], 4);
    assert.equal(document.tree().rootNode.text, 'b = 2\n');
    assert.deepEqual([document.fullParses, document.incrementalParses], [2, 1]);
    document.dispose();
  });
});
