/**
 * Project configuration over stdio: a workspace's pyproject.toml `[tool.green-ai]` changes the findings of its Python
 * files, its problems are diagnostics on the TOML file, and edits (in the editor or on disk) take effect at once.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { LspSession } from './lspSession';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'project', 'ws');
const ERROR = 1;

const has = (code: string, severity?: number) => (p: PublishDiagnosticsParams) =>
  p.diagnostics.some((d) => d.code === code && (severity === undefined || d.severity === severity));
const lacks = (code: string) => (p: PublishDiagnosticsParams) => !p.diagnostics.some((d) => d.code === code);
const codes = (diagnostics: Diagnostic[]) => [...new Set(diagnostics.map((d) => String(d.code)))].sort();

describe('project configuration (pyproject.toml [tool.green-ai]) over stdio', function () {
  let session: LspSession;
  let folder: string;
  let trainUri: string;
  let trainText: string;
  let pyprojectUri: string;

  function start(settings: () => unknown = () => ({})): Promise<unknown> {
    session = new LspSession({ settings, workspaceFolder: folder });
    return session.initialize();
  }

  beforeEach(() => {
    // A copy, so that tests may write project files on disk.
    folder = mkdtempSync(path.join(os.tmpdir(), 'green-ai-ws-'));
    cpSync(FIXTURE, folder, { recursive: true });
    trainUri = pathToFileURL(path.join(folder, 'train.py')).href;
    trainText = readFileSync(path.join(folder, 'train.py'), 'utf8');
    pyprojectUri = pathToFileURL(path.join(folder, 'pyproject.toml')).href;
  });
  afterEach(async () => session.dispose());

  it('a rule switched off in pyproject.toml on disk gives no diagnostics in the workspace\'s Python files', async () => {
    await start();
    await session.open(trainUri, trainText);
    const diagnostics = await session.diagnosticsFor(trainUri);
    assert.ok(!codes(diagnostics).includes('GA202'), `GA202 is off: ${codes(diagnostics).join(', ')}`);
    assert.ok(codes(diagnostics).includes('GA203'), 'the other rules still run');
  });

  it('settings the user set explicitly override the project file', async () => {
    await start(() => ({ rules: { GA202: 'error' } }));
    await session.open(trainUri, trainText);
    const diagnostics = await session.diagnosticsFor(trainUri);
    assert.deepEqual(diagnostics.filter((d) => d.code === 'GA202').map((d) => [d.range.start.line, d.severity]), [[15, ERROR]]);
  });

  it('malformed TOML: a parse diagnostic at the right line, and the Python file is still analysed (with the defaults)', async () => {
    await start();
    const broken = '[project]\nname = "stl10"\n\n[tool.green-ai]\nrules = { GA202 = off }\nlocation = "FR"\n';
    await session.open(pyprojectUri, broken, 1, 'toml');
    const onToml = await session.diagnosticsFor(pyprojectUri);
    assert.equal(onToml.length, 1);
    assert.equal(onToml[0]!.severity, ERROR);
    assert.equal(onToml[0]!.code, 'GA000');
    assert.equal(onToml[0]!.range.start.line, 4, 'the unquoted string');
    assert.match(String(onToml[0]!.message), /^TOML syntax error: /);
    await session.open(trainUri, trainText);
    const diagnostics = await session.diagnosticsFor(trainUri);
    assert.ok(codes(diagnostics).includes('GA202'), 'the broken file is ignored, so GA202 has its default severity');
  });

  it('an invalid value is a warning on its key; the other keys still apply', async () => {
    await start();
    const text = '[tool.green-ai]\nrules = { GA202 = "off", GA203 = "loud" }\n';
    await session.open(pyprojectUri, text, 1, 'toml');
    const onToml = await session.diagnosticsFor(pyprojectUri);
    assert.deepEqual(
      onToml.map((d) => [d.severity, d.range]),
      [[2, { start: { line: 1, character: 25 }, end: { line: 1, character: 30 } }]],
    );
    await session.open(trainUri, trainText);
    const diagnostics = await session.diagnosticsFor(trainUri);
    assert.ok(!codes(diagnostics).includes('GA202'));
    assert.ok(codes(diagnostics).includes('GA203'), 'GA203 keeps its default');
  });

  it('editing the open pyproject.toml (didChange) re-analyses the Python files', async () => {
    await start();
    await session.open(trainUri, trainText);
    await session.diagnosticsFor(trainUri, lacks('GA202'));
    const text = readFileSync(path.join(folder, 'pyproject.toml'), 'utf8');
    await session.open(pyprojectUri, text, 1, 'toml');
    const line = text.split('\n').findIndex((l) => l.startsWith('rules ='));
    await session.change(pyprojectUri, 2, [
      { range: { start: { line, character: 0 }, end: { line, character: text.split('\n')[line]!.length } }, text: 'rules = { GA202 = "error" }' },
    ]);
    const diagnostics = await session.diagnosticsFor(trainUri, has('GA202', ERROR));
    assert.equal(diagnostics.filter((d) => d.code === 'GA202').length, 1);
    const onToml = await session.diagnosticsFor(pyprojectUri, (p) => p.version === 2);
    assert.deepEqual(onToml, []);
  });

  it('a project file created on disk (didChangeWatchedFiles) re-analyses the Python files', async () => {
    await start();
    await session.open(trainUri, trainText);
    await session.diagnosticsFor(trainUri, lacks('GA202'));
    const greenAiToml = path.join(folder, '.green-ai.toml');
    writeFileSync(greenAiToml, '# nearer than pyproject.toml, and it wins\n[rules]\nGA202 = "error"\n');
    await session.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(greenAiToml).href, type: 1 }] });
    await session.diagnosticsFor(trainUri, has('GA202', ERROR));
  });
});
