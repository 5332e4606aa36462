/** The TOML key scanner: every way of writing a key maps to its path and the range of its text. */
import assert from 'node:assert/strict';
import { indexTomlKeys } from '../../../server/src/project/tomlKeys';

/** The text a recorded range covers (single-line ranges). */
function textAt(text: string, path: string[]): string | undefined {
  const range = indexTomlKeys(text).rangeOf(path);
  if (!range) return undefined;
  assert.equal(range.start.line, range.end.line);
  return text.split('\n')[range.start.line]!.slice(range.start.character, range.end.character);
}

function lineOf(text: string, path: string[]): number | undefined {
  return indexTomlKeys(text).rangeOf(path)?.start.line;
}

describe('TOML key ranges', () => {
  it('finds keys under table headers, on the key and not the value', () => {
    const text = '[project]\nname = "rules"\n\n[tool.green-ai]\nlocation = "FR"\n';
    assert.equal(textAt(text, ['tool', 'green-ai', 'location']), 'location');
    assert.deepEqual(indexTomlKeys(text).rangeOf(['tool', 'green-ai', 'location']), { start: { line: 4, character: 0 }, end: { line: 4, character: 8 } });
    assert.equal(textAt(text, ['tool', 'green-ai']), 'green-ai');
    assert.equal(textAt(text, ['project', 'name']), 'name');
    assert.equal(textAt(text, ['rules']), undefined, 'a string value is not a key');
  });

  it('records each segment of dotted keys, with whitespace around the dots', () => {
    const text = '[tool]\ngreen-ai . hardware.gpu = "H100"\n';
    assert.equal(textAt(text, ['tool', 'green-ai', 'hardware', 'gpu']), 'gpu');
    assert.equal(textAt(text, ['tool', 'green-ai', 'hardware']), 'hardware');
    assert.equal(textAt(text, ['tool', 'green-ai']), 'green-ai');
  });

  it('reads quoted and literal keys, escapes included, and ranges cover the quotes', () => {
    const text = '[tool."green-ai"]\n"hardware.gpu" = "L4"\n\'carbon\'.overrides = {}\n"GA\\u0031" = 1\n';
    assert.equal(textAt(text, ['tool', 'green-ai', 'hardware.gpu']), '"hardware.gpu"');
    assert.equal(textAt(text, ['tool', 'green-ai', 'carbon', 'overrides']), 'overrides');
    assert.equal(textAt(text, ['tool', 'green-ai', 'carbon']), "'carbon'");
    assert.equal(textAt(text, ['tool', 'green-ai', 'GA1']), '"GA\\u0031"');
  });

  it('enters inline tables and arrays, nested', () => {
    const text = '[tool.green-ai]\nrules = { GA202 = "off", "GA301" = "error" }\n[tool.green-ai.carbon]\noverrides = { gpus = [ { id = "X1", tdpW = 300 }, { id = "X2", tdpW = -1 } ] }\n';
    assert.equal(textAt(text, ['tool', 'green-ai', 'rules', 'GA202']), 'GA202');
    assert.equal(textAt(text, ['tool', 'green-ai', 'rules', 'GA301']), '"GA301"');
    assert.equal(textAt(text, ['tool', 'green-ai', 'carbon', 'overrides', 'gpus', '1', 'tdpW']), 'tdpW');
    const range = indexTomlKeys(text).rangeOf(['tool', 'green-ai', 'carbon', 'overrides', 'gpus', '1', 'tdpW'])!;
    assert.equal(text.split('\n')[3]!.indexOf('tdpW = -1'), range.start.character, 'the second element, not the first');
  });

  it('numbers the elements of arrays of tables, and sub-tables follow the latest element', () => {
    const text = '[[tool.green-ai.carbon.overrides.gpus]]\nid = "A"\n\n[[tool.green-ai.carbon.overrides.gpus]]\nid = "B"\n[tool.green-ai.carbon.overrides.gpus.extra]\nx = 1\n';
    assert.equal(lineOf(text, ['tool', 'green-ai', 'carbon', 'overrides', 'gpus', '0', 'id']), 1);
    assert.equal(lineOf(text, ['tool', 'green-ai', 'carbon', 'overrides', 'gpus', '1', 'id']), 4);
    assert.equal(lineOf(text, ['tool', 'green-ai', 'carbon', 'overrides', 'gpus', '1']), 3);
    assert.equal(lineOf(text, ['tool', 'green-ai', 'carbon', 'overrides', 'gpus', '1', 'extra', 'x']), 6);
  });

  it('skips strings that look like TOML: multi-line, escaped quotes, brackets and comments inside values', () => {
    const text = [
      '[tool.x]',
      'a = """',
      'fake = 1',
      '[tool.green-ai]',
      'still = \\""" inside"""""',
      "b = '''",
      "[not.a.header] '''",
      'c = "quote \\" # not a comment [x]" # a comment = 3',
      'when = 1979-05-27 07:32:00Z',
      'list = [ 1, # comment',
      '  "two", ]',
      'real = true',
    ].join('\n');
    const paths = indexTomlKeys(text).paths().map((p) => p.join('.'));
    assert.deepEqual(paths, ['tool', 'tool.x', 'tool.x.a', 'tool.x.b', 'tool.x.c', 'tool.x.when', 'tool.x.list', 'tool.x.real']);
  });

  it('keeps the first mention of a table', () => {
    const text = '[tool.green-ai]\nenable = true\n[tool.green-ai.hardware]\ngpu = "L4"\n';
    assert.equal(lineOf(text, ['tool', 'green-ai']), 0);
    assert.equal(indexTomlKeys(text).nearest(['tool', 'green-ai', 'hardware', 'count'])?.range.start.line, 2, 'nearest written prefix');
  });

  it('keeps what it found before text it does not understand, without throwing', () => {
    const text = '[a]\nb = 1\nc = "unterminated\nd = 3\n';
    assert.deepEqual(indexTomlKeys(text).paths().map((p) => p.join('.')), ['a', 'a.b', 'a.c']);
  });
});
