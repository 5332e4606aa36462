import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configurationContribution, defaultSettings, parseSettings } from '../../shared/src/settings';
import { generatedDocs, packageJsonWithConfiguration, PACKAGE_JSON, stalePages } from '../../scripts/generate-docs';

describe('settings', () => {
  it('accepts valid values and keeps defaults for the rest', () => {
    const { settings, problems } = parseSettings({ enable: false, rules: { GA201: 'off', GA101: 'error' }, maxFileSizeMB: 5 });
    assert.deepEqual(problems, []);
    assert.equal(settings.enable, false);
    assert.deepEqual(settings.rules, { GA201: 'off', GA101: 'error' });
    assert.equal(settings.maxFileSizeMB, 5);
    assert.deepEqual(settings.include, defaultSettings().include);
  });

  it('reports each invalid key by name and falls back for that key only', () => {
    const { settings, problems } = parseSettings({ enable: 'yes', include: ['**/*.py'], analysisDelayMs: -5, rules: { GA1: 'off', GA202: 'loud', GA301: 'hint' } });
    assert.deepEqual(problems.map((p) => p.key), ['greenAI.enable', 'greenAI.rules.GA1', 'greenAI.rules.GA202', 'greenAI.analysisDelayMs']);
    assert.equal(settings.enable, true);
    assert.equal(settings.analysisDelayMs, 120);
    assert.deepEqual(settings.rules, { GA301: 'hint' });
    assert.deepEqual(settings.include, ['**/*.py']);
  });

  it('rejects a non-object section with a clear problem', () => {
    assert.deepEqual(parseSettings('nope').problems, [{ key: 'greenAI', message: 'expected an object of settings' }]);
  });

  it('contributes a JSON schema for every setting with its default', () => {
    const properties = configurationContribution().properties as Record<string, { default: unknown; type: string }>;
    assert.equal(properties['greenAI.maxFileSizeMB']!.default, 2);
    assert.equal(properties['greenAI.maxFileSizeMB']!.type, 'number');
    assert.deepEqual(Object.keys(properties).sort(), Object.keys(defaultSettings()).map((k) => `greenAI.${k}`).sort());
  });
});

describe('generated files are up to date (run `npm run docs` when this fails)', () => {
  it('docs/rules.md and every docs/rules/GAxxx.md page match the rule registry', () => {
    const docs = generatedDocs();
    for (const [file, expected] of docs) assert.equal(readFileSync(file, 'utf8'), expected, `${file} is stale`);
    assert.deepEqual(stalePages(docs), [], 'pages of rules that no longer exist');
  });
  it("package.json's contributes.configuration matches the settings schema", () => {
    const text = readFileSync(PACKAGE_JSON, 'utf8');
    assert.equal(text, packageJsonWithConfiguration(text));
  });
});
