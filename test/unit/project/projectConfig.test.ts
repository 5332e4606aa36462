/** Project configuration: reading `[tool.green-ai]` / .green-ai.toml, problems on their keys, finding the file, precedence. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { explicitSettingsFrom, mergeSettingLayers, parseSettingsLayer } from '../../../shared/src/settings';
import { findProjectConfig, readProjectConfig, type ProjectFileReader } from '../../../server/src/project/projectConfig';

const PYPROJECT = `[project]
name = "demo"

[tool.green-ai]
rules = { GA202 = "off", GA301 = "loud" }
exclude = ["legacy/**"]
location = "FR"

[tool.green-ai.hardware]
gpu = "H100-SXM5-80GB"
count = 0
`;

/** The text of a problem's range, on its line. */
function rangeText(text: string, range: { start: { line: number; character: number }; end: { character: number } }): string {
  return text.split('\n')[range.start.line]!.slice(range.start.character, range.end.character);
}

describe('project configuration file', () => {
  it('maps [tool.green-ai] keys to settings, keeping the valid ones', () => {
    const config = readProjectConfig('/repo/pyproject.toml', PYPROJECT)!;
    assert.deepEqual(config.values, { rules: { GA202: 'off' }, exclude: ['legacy/**'], location: 'FR', 'hardware.gpu': 'H100-SXM5-80GB' });
  });

  it('puts each invalid value on its key, and only that key falls back', () => {
    const config = readProjectConfig('/repo/pyproject.toml', PYPROJECT)!;
    assert.deepEqual(
      config.problems.map((p) => [p.severity, p.range.start.line, rangeText(PYPROJECT, p.range), p.key]),
      [
        ['warning', 4, 'GA301', 'tool.green-ai.rules.GA301'],
        ['warning', 10, 'count', 'tool.green-ai.hardware.count'],
      ],
    );
    assert.match(config.problems[0]!.message, /^tool\.green-ai\.rules\.GA301: expected one of off, default, .*got "loud"/);
    const settings = mergeSettingLayers(config.values);
    assert.equal(settings['hardware.count'], 1, 'the default, as the project value was invalid');
    assert.equal(settings.rules.GA202, 'off');
  });

  it('reads .green-ai.toml at its top level, with quoted dotted keys and carbon overrides', () => {
    const text = '"hardware.gpu" = "NoSuchGPU-9000"\nenable = true\n\n[carbon.overrides.countries]\nFR = 30\nDE = -1\n';
    const config = readProjectConfig('/repo/.green-ai.toml', text)!;
    assert.deepEqual(config.values, { enable: true });
    assert.deepEqual(
      config.problems.map((p) => [p.range.start.line, rangeText(text, p.range)]),
      [
        [0, '"hardware.gpu"'],
        [5, 'DE'],
      ],
    );
  });

  it('rejects unknown keys and settings that only a user may set, naming them', () => {
    const text = '[tool.green-ai]\nrulez = {}\npythonPath = "/tmp/evil/python"\n[tool.green-ai.hardware]\ngpus = 8\n';
    const config = readProjectConfig('/repo/pyproject.toml', text)!;
    assert.deepEqual(config.values, {});
    assert.deepEqual(
      config.problems.map((p) => [p.range.start.line, rangeText(text, p.range)]),
      [
        [1, 'rulez'],
        [2, 'pythonPath'],
        [4, 'gpus'],
      ],
    );
    assert.match(config.problems[0]!.message, /unknown key; a project file may set enable, rules/);
    assert.match(config.problems[1]!.message, /only be set in VS Code settings/);
  });

  it('reports a syntax error at the parser position and ignores the whole file', () => {
    const text = '[tool.green-ai]\nlocation = "FR"\nrules = { GA202 = }\n';
    const config = readProjectConfig('/repo/pyproject.toml', text)!;
    assert.deepEqual(config.values, {});
    assert.equal(config.problems.length, 1);
    assert.equal(config.problems[0]!.severity, 'error');
    assert.deepEqual(config.problems[0]!.range.start, { line: 2, character: 18 });
    assert.match(config.problems[0]!.message, /^TOML syntax error: .+ Green AI ignores this file until it parses\.$/);
  });

  it('passes over a pyproject.toml without [tool.green-ai], even a broken one that does not mention it', () => {
    assert.equal(readProjectConfig('/repo/pyproject.toml', '[project]\nname = "x"\n'), null);
    assert.equal(readProjectConfig('/repo/pyproject.toml', '[project\n'), null);
    assert.notEqual(readProjectConfig('/repo/pyproject.toml', '[tool.green-ai\n'), null);
  });
});

describe('finding the project file', () => {
  function memoryReader(files: Record<string, string>, repositoryRoots: string[] = []): ProjectFileReader {
    return { read: (file) => files[file], isRepositoryRoot: (dir) => repositoryRoots.includes(dir) };
  }
  const file = path.join('/repo', 'src', 'models', 'train.py');

  it('takes the nearest file above, skipping a pyproject.toml that has no [tool.green-ai]', () => {
    const reader = memoryReader({
      '/repo/pyproject.toml': '[tool.green-ai]\nlocation = "DE"\n',
      '/repo/src/pyproject.toml': '[project]\nname = "src"\n',
    });
    assert.equal(findProjectConfig(file, reader)?.file, '/repo/pyproject.toml');
  });

  it('prefers .green-ai.toml to pyproject.toml in the same folder', () => {
    const reader = memoryReader({
      '/repo/src/pyproject.toml': '[tool.green-ai]\nlocation = "DE"\n',
      '/repo/src/.green-ai.toml': 'location = "FR"\n',
    });
    assert.deepEqual(findProjectConfig(file, reader)?.values, { location: 'FR' });
  });

  it('stops at the workspace folder, or else at the repository root', () => {
    const reader = memoryReader({ '/pyproject.toml': '[tool.green-ai]\nlocation = "DE"\n' }, ['/repo']);
    assert.equal(findProjectConfig(file, reader, '/repo/src'), null, 'above the workspace folder');
    assert.equal(findProjectConfig(file, reader), null, 'above the repository root');
    assert.equal(findProjectConfig(file, memoryReader({ '/pyproject.toml': '[tool.green-ai]\n' }))?.file, '/pyproject.toml', 'no repository: up to the root');
  });
});

describe('precedence: defaults < project file < explicit settings', () => {
  it('explicit values win key by key; rules merge per rule id', () => {
    const project = readProjectConfig('/repo/pyproject.toml', '[tool.green-ai]\nrules = { GA202 = "off", GA301 = "hint" }\nlocation = "FR"\nmaxFileSizeMB = 4\n')!.values;
    const explicit = parseSettingsLayer({ rules: { GA301: 'error' }, location: 'DE' }).values;
    const settings = mergeSettingLayers(project, explicit);
    assert.deepEqual(settings.rules, { GA202: 'off', GA301: 'error' });
    assert.equal(settings.location, 'DE');
    assert.equal(settings.maxFileSizeMB, 4, 'from the project file');
    assert.equal(settings.analysisDelayMs, 120, 'the default');
  });

  it('an invalid explicit value falls back to the project value, not to the default', () => {
    const project = { location: 'FR' };
    const explicit = parseSettingsLayer({ location: 'Atlantis' });
    assert.equal(explicit.problems.length, 1);
    assert.equal(explicit.problems[0]!.key, 'greenAI.location');
    assert.equal(mergeSettingLayers(project, explicit.values).location, 'FR');
  });

  it('the VS Code client passes on only what the user set, most specific scope first, objects merged across scopes', () => {
    const inspected: Record<string, { globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown; defaultValue?: unknown }> = {
      enable: { defaultValue: true },
      location: { defaultValue: 'WORLD', globalValue: 'DE', workspaceFolderValue: 'FR' },
      rules: { defaultValue: {}, globalValue: { GA202: 'off', GA301: 'hint' }, workspaceValue: { GA301: 'error' } },
      'hardware.count': { defaultValue: 1, workspaceValue: 4 },
    };
    assert.deepEqual(explicitSettingsFrom((key) => inspected[key]), {
      location: 'FR',
      rules: { GA202: 'off', GA301: 'error' },
      'hardware.count': 4,
    });
  });
});

describe('docs/configuration.md', () => {
  const docs = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
  const example = /```toml\n([\s\S]*?)```/.exec(docs)?.[1] ?? '';

  it('its pyproject.toml example is valid and sets every key it shows', () => {
    const config = readProjectConfig('/repo/pyproject.toml', example)!;
    assert.deepEqual(config.problems, []);
    assert.deepEqual(Object.keys(config.values).sort(), ['carbon.overrides', 'exclude', 'hardware.count', 'hardware.gpu', 'location', 'rules']);
    assert.equal(config.values['carbon.overrides']?.providers?.aws?.pue, 1.1);
  });

  it('the same keys without the tool.green-ai prefix make a valid .green-ai.toml', () => {
    const text = example.replace('[tool.green-ai]\n', '').replaceAll('[tool.green-ai.', '[').replaceAll('[[tool.green-ai.', '[[');
    const config = readProjectConfig('/repo/.green-ai.toml', text)!;
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.values, readProjectConfig('/repo/pyproject.toml', example)!.values);
  });
});
