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
            const incremental = document.tree().rootNode;
            const fresh = parser.parse(text)!;
            try {
              // Tree-sitter's error recovery may place ERROR nodes differently in an incremental parse; on valid
              // text the trees must be identical, and an invalid text must still show as invalid.
              if (!fresh.rootNode.hasError) assert.equal(incremental.toString(), fresh.rootNode.toString());
              else assert.ok(incremental.hasError, 'an invalid text gives a tree with errors');
            } finally {
              fresh.delete();
            }
          }
          assert.equal(document.fullParses, 1, 'only the first parse is a full one');
          assert.ok(document.incrementalParses >= 1);
          document.dispose();
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 60) },
    );
  });

  it('matches a full parse exactly after random statement-level edits that keep the file valid (property)', async () => {
    const parser = await pythonParser();
    const lines = SOURCE.split('\n');
    // Lines that begin a simple statement: inserting a statement of the same indentation before them keeps Python valid.
    const anchors = lines
      .map((line, index) => ({ line, index }))
      .filter(({ line, index }) => /^\s*(\w+\s*=|return\b|print\(|for\b|if\b|with\b|def\b|class\b|import\b)/.test(line) && !/[,(\\]\s*$/.test(lines[index - 1] ?? ''))
      .map(({ index }) => index);
    const statements = ['x = 1', 'total = total_loss / 2  # é😀', 'print(f"{x}")', 'optimizer.zero_grad()'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...anchors), fc.constantFrom(...statements)), { minLength: 1, maxLength: 8 }), async (inserts) => {
        const document = new ParsedDocument(TextDocument.create('file:///v.py', 'python', 1, SOURCE), parser);
        document.tree();
        let version = 1;
        let shift = 0;
        for (const [anchor, statement] of [...inserts].sort((a, b) => a[0] - b[0])) {
          const line = anchor + shift;
          const indentation = /^\s*/.exec(document.document.getText().split('\n')[line] ?? '')![0];
          document.applyChanges([{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: `${indentation}${statement}\n` }], ++version);
          shift++;
        }
        const fresh = parser.parse(document.document.getText())!;
        try {
          assert.equal(fresh.rootNode.hasError, false, 'the edits keep the file valid');
          assert.equal(document.tree().rootNode.toString(), fresh.rootNode.toString());
        } finally {
          fresh.delete();
          document.dispose();
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 60) },
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
