/** The TextMate grammars load, and the suppression comment pattern matches what the engine honours. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { grammars: { scopeName: string; path: string; injectTo?: string[] }[] };
};

describe('TextMate grammars', () => {
  it('every contributed grammar file exists, parses and names the declared scope', () => {
    for (const grammar of manifest.contributes.grammars) {
      const json = JSON.parse(readFileSync(path.join(ROOT, grammar.path), 'utf8')) as { scopeName: string };
      assert.equal(json.scopeName, grammar.scopeName, grammar.path);
    }
  });

  it('highlights green-ai suppression comments in Python, YAML and shell comments', () => {
    const injection = manifest.contributes.grammars.find((g) => g.scopeName === 'green-ai.suppression.injection');
    assert.ok(injection, 'the suppression injection grammar is contributed');
    assert.ok(['source.python', 'source.yaml', 'source.shell'].every((scope) => injection.injectTo?.includes(scope)));
    const grammar = JSON.parse(readFileSync(path.join(ROOT, injection.path), 'utf8')) as { repository: { suppression: { match: string } } };
    const pattern = new RegExp(grammar.repository.suppression.match);
    assert.deepEqual(pattern.exec('x = 1  # green-ai: ignore[GA201, GA202]')?.slice(1), ['green-ai', ':', 'ignore', '[', 'GA201, GA202', ']']);
    assert.equal(pattern.exec('# green-ai: ignore')?.[3], 'ignore');
    assert.equal(pattern.exec('# ignore this'), null);
  });
});
