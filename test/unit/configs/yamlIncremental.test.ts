/** The incremental YAML re-parse: whatever the edit, the result equals a full parse of the new text. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseYaml, parseYamlFully } from '../../../server/src/configs/yaml';
import { reparseEditedEntry } from '../../../server/src/configs/yamlIncremental';

const BASE = [
  '# Lightning trainer config',
  'trainer:',
  '  accelerator: gpu',
  '  precision: 32',
  '  devices: 4',
  '# between entries',
  'data:',
  '  batch_size: 64',
  '  num_workers: 0',
  '  loaders: [train, val]',
  'model:',
  '  _target_: models.Net',
  '  layers:',
  '    - { name: a, heads: 4 }',
  '    - { name: b, heads: 8 }',
  '  optimizer:',
  '    lr: 0.001',
  'seed: 7',
  '',
].join('\n');

// Typing that real edits do: characters, new lines (indented or not), keys, flow collections, quotes, colons,
// and the things that must force a full parse (anchors, aliases, document markers, broken syntax).
const SNIPPETS = ['x', ' ', '\n', '\n  ', '\nextra: 1', '  k: v\n', ': ', '{', '}', '[', ']', ',', '"', "'", '#', '-', '&a ', '*a', '---\n', '\t', '0', 'true', '${x}'];

function edit(text: string, at: number, remove: number, insert: string): string {
  const start = Math.min(at, text.length);
  return text.slice(0, start) + insert + text.slice(Math.min(text.length, start + remove));
}

describe('YAML incremental re-parse', () => {
  it('equals a full parse after any sequence of edits (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(6), fc.constantFrom(...SNIPPETS)), { minLength: 1, maxLength: 15 }), (edits) => {
        let text = BASE;
        let previous = { text, parsed: parseYamlFully(text) };
        for (const [at, remove, insert] of edits) {
          text = edit(text, at % (text.length + 1), remove, insert);
          const full = parseYamlFully(text);
          const incremental = reparseEditedEntry(previous, text, (entryText) => {
            const entry = parseYamlFully(entryText);
            const root = entry.problem || entry.documents.length !== 1 ? null : entry.documents[0]!.root;
            return root?.type === 'map' && !root.flow && root.entries.length === 1 ? root.entries[0]! : null;
          });
          if (incremental) assert.deepEqual(incremental, full, `after inserting ${JSON.stringify(insert)} at ${at}:\n${text}`);
          previous = { text, parsed: full };
        }
      }),
      { numRuns: 400 },
    );
  });

  it('re-parses only the edited entry for an edit inside one entry, and falls back across entry boundaries', () => {
    const previous = { text: BASE, parsed: parseYamlFully(BASE) };
    const convert = (entryText: string) => {
      const root = parseYamlFully(entryText).documents[0]?.root;
      return root?.type === 'map' && root.entries.length === 1 ? root.entries[0]! : null;
    };
    const inside = BASE.replace('num_workers: 0', 'num_workers: 8');
    assert.deepEqual(reparseEditedEntry(previous, inside, convert), parseYamlFully(inside));
    assert.equal(reparseEditedEntry(previous, BASE.replace('\ndata:', '\nextra: 1\ndata:'), convert), null, 'a new top-level key');
    assert.equal(reparseEditedEntry(previous, BASE.replace('lr: 0.001', 'lr: &lr 0.001'), convert), null, 'an anchor');
  });

  it('parseYaml gives the full parse for the texts an editor produces, keystroke by keystroke', () => {
    let text = BASE;
    for (const character of ' # tuning notes: more workers') {
      text = text.replace('  num_workers: 0', `  num_workers: 0${character}`);
      assert.deepEqual(parseYaml(text), parseYamlFully(text));
    }
  });
});
