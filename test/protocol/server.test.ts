/** The bundled server driven over stdio like an editor: open, diagnose, edit, fix, survive garbage. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CodeAction, Diagnostic, Hover, TextEdit } from 'vscode-languageserver-protocol';
import { applyEdits } from '../unit/analyze';
import { LspSession, SERVER } from './lspSession';

const TRAIN = `import torch
import torch.nn as nn
from torch.utils.data import DataLoader

device = torch.device("cuda")
model = nn.Linear(10, 2).to(device)
model = nn.DataParallel(model)
loader = DataLoader(dataset, batch_size=64, shuffle=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    out = model(x.to(device))
    loss = nn.functional.cross_entropy(out, y.to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
`;

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.range.start.line}:${String(d.code)}`).sort();

describe('language server over stdio', function () {
  let session: LspSession;
  let settings: Record<string, unknown> = {};
  const uri = 'file:///tmp/green-ai-protocol/train.py';

  beforeEach(async () => {
    settings = {};
    session = new LspSession({ settings: () => settings });
    await session.initialize();
  });
  afterEach(async () => session.dispose());

  it('answers initialize with its capabilities', async () => {
    const other = new LspSession();
    try {
      const result = (await other.initialize()) as { capabilities: Record<string, unknown>; serverInfo: { name: string } };
      assert.equal(result.serverInfo.name, 'green-ai');
      assert.deepEqual(result.capabilities.textDocumentSync, { openClose: true, change: 2 });
      assert.equal(result.capabilities.hoverProvider, true);
    } finally {
      await other.dispose();
    }
  });

  it('publishes diagnostics on open, with codes, source, docs link and related information', async () => {
    await session.open(uri, TRAIN);
    const diagnostics = await session.diagnosticsFor(uri);
    assert.deepEqual(codes(diagnostics), ['13:GA101', '6:GA501', '7:GA201', '7:GA202']);
    const workers = diagnostics.find((d) => d.code === 'GA201')!;
    assert.equal(workers.source, 'Green AI');
    assert.match(workers.codeDescription!.href, /\/docs\/rules\/GA201\.md$/);
    assert.deepEqual(workers.range, { start: { line: 7, character: 9 }, end: { line: 7, character: 57 } });
    const pin = diagnostics.find((d) => d.code === 'GA202')!;
    assert.equal(pin.relatedInformation?.[0]?.location.range.start.line, 4);
  });

  it('re-analyses after incremental edits and publishes the new version only', async () => {
    // A generous quiet period, so that a loaded CI machine still sees the three edits as one burst.
    settings = { analysisDelayMs: 1000 };
    await session.open(uri, TRAIN, 1);
    await session.diagnosticsFor(uri);
    // Three quick keystrokes: type ", num_workers=4" one piece at a time; only the last version is published.
    const line = 7;
    const at = TRAIN.split('\n')[line]!.length - 1;
    await session.change(uri, 2, [{ range: { start: { line, character: at }, end: { line, character: at } }, text: ', num_' }]);
    await session.change(uri, 3, [{ range: { start: { line, character: at + 6 }, end: { line, character: at + 6 } }, text: 'workers' }]);
    await session.change(uri, 4, [{ range: { start: { line, character: at + 13 }, end: { line, character: at + 13 } }, text: '=4' }]);
    const updated = await session.diagnosticsFor(uri, (p) => p.version === 4);
    assert.deepEqual(codes(updated), ['13:GA101', '6:GA501', '7:GA202']);
    assert.equal(session.publishedCount(uri), 2, 'the debounce publishes once for the burst of edits');
    // Deleting the model wrapper line removes GA501 and shifts the rest up.
    await session.change(uri, 5, [{ range: { start: { line: 6, character: 0 }, end: { line: 7, character: 0 } }, text: '' }]);
    const shifted = await session.diagnosticsFor(uri, (p) => p.version === 5);
    assert.deepEqual(codes(shifted), ['12:GA101', '6:GA202']);
  });

  it('offers quick fixes, suppression and disable; applying the fix clears the finding', async () => {
    await session.open(uri, TRAIN, 1);
    const diagnostics = await session.diagnosticsFor(uri);
    const workers = diagnostics.find((d) => d.code === 'GA201')!;
    const actions = (await session.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: workers.range,
      context: { diagnostics: [workers], only: ['quickfix'] },
    })) as CodeAction[];
    assert.deepEqual(actions.map((a) => a.title), [
      'Set num_workers=min(8, os.cpu_count() or 1)',
      'Suppress GA201 on this line',
      'Disable GA201 (dataloader-num-workers) in settings',
    ]);
    assert.deepEqual(actions[2]!.command, { title: 'Disable GA201', command: 'greenAI.disableRule', arguments: ['GA201'] });
    const fixed = applyEdits(TRAIN, actions[0]!.edit!.changes![uri]! as TextEdit[]);
    assert.match(fixed, /^import os$/m);
    assert.match(fixed, /DataLoader\(dataset, batch_size=64, shuffle=True, num_workers=min\(8, os\.cpu_count\(\) or 1\)\)/);
    await session.change(uri, 2, [{ text: fixed }]);
    const after = await session.diagnosticsFor(uri, (p) => p.version === 2);
    assert.ok(!after.some((d) => d.code === 'GA201'), 'GA201 is gone after the fix');

    const suppressed = applyEdits(TRAIN, actions[1]!.edit!.changes![uri]! as TextEdit[]);
    assert.match(suppressed.split('\n')[7]!, /shuffle=True\)  # green-ai: ignore\[GA201\]$/);
    await session.change(uri, 3, [{ text: suppressed }]);
    const quiet = await session.diagnosticsFor(uri, (p) => p.version === 3);
    assert.deepEqual(codes(quiet), ['13:GA101', '6:GA501', '7:GA202'], 'only GA201 is suppressed on that line');
  });

  it('explains a finding on hover', async () => {
    await session.open(uri, TRAIN);
    await session.diagnosticsFor(uri);
    const hover = (await session.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 6, character: 12 } })) as Hover;
    const text = (hover.contents as { value: string }).value;
    assert.match(text, /GA501 · dataparallel-instead-of-ddp/);
    assert.match(text, /Why it costs energy/);
    assert.match(text, /ddp_tutorial/);
    const nothing = await session.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.equal(nothing, null);
  });

  it('applies settings: a rule turned off, an invalid value reported once with its key', async () => {
    settings = { rules: { GA202: 'off', GA501: 'error' }, maxFileSizeMB: 'big' };
    await session.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await session.open(uri, TRAIN);
    const diagnostics = await session.diagnosticsFor(uri);
    assert.deepEqual(codes(diagnostics), ['13:GA101', '6:GA501', '7:GA201']);
    assert.equal(diagnostics.find((d) => d.code === 'GA501')!.severity, 1);
    await session.waitFor(() => session.shownMessages.find((m) => m.includes('greenAI.maxFileSizeMB')), 5000, 'the settings warning');
    await session.open('file:///tmp/green-ai-protocol/other.py', TRAIN);
    await session.diagnosticsFor('file:///tmp/green-ai-protocol/other.py');
    assert.equal(session.shownMessages.filter((m) => m.includes('greenAI.maxFileSizeMB')).length, 1, 'reported once');
  });

  it('skips files over the size limit with one information diagnostic', async () => {
    settings = { maxFileSizeMB: 0.001 };
    await session.open(uri, TRAIN.repeat(5));
    const diagnostics = await session.diagnosticsFor(uri);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.code, 'GA000');
    assert.equal(diagnostics[0]!.severity, 3);
    assert.match(String(diagnostics[0]!.message), /greenAI\.maxFileSizeMB/);
  });

  it('survives broken Python, binary content and malformed messages, and keeps answering', async () => {
    await session.open('file:///tmp/x/broken.py', 'def f(:\n  for x in\n    loss.backward(\n\x00\x01\x02');
    await session.diagnosticsFor('file:///tmp/x/broken.py');
    await session.open('file:///tmp/x/binary.py', '\u0000\u00ff\ufffd'.repeat(5000));
    const binary = await session.diagnosticsFor('file:///tmp/x/binary.py');
    assert.equal(binary[0]?.code, 'GA000');
    // A frame whose body is not JSON, then a request with unknown method and bad params.
    session.process.stdin.write('Content-Length: 12\r\n\r\n{not json!!}');
    await assert.rejects(session.connection.sendRequest('textDocument/hover', { nonsense: true }));
    await assert.rejects(session.connection.sendRequest('green/unknownMethod', {}));
    await session.open(uri, TRAIN);
    const diagnostics = await session.diagnosticsFor(uri);
    assert.ok(diagnostics.length > 0, 'still analysing after garbage');
    assert.equal(session.process.exitCode, null, 'the server is still running');
  });

  it('honours include/exclude globs relative to the workspace folder', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'green-ai-ws-'));
    writeFileSync(path.join(folder, 'train.py'), TRAIN);
    const scoped = new LspSession({ workspaceFolder: folder, settings: () => ({ exclude: ['legacy/**'] }) });
    try {
      await scoped.initialize();
      await scoped.open(`file://${folder}/legacy/old.py`, TRAIN);
      assert.deepEqual(await scoped.diagnosticsFor(`file://${folder}/legacy/old.py`), []);
      await scoped.open(`file://${folder}/train.py`, TRAIN);
      assert.ok((await scoped.diagnosticsFor(`file://${folder}/train.py`)).length > 0);
    } finally {
      await scoped.dispose();
    }
  });
});

describe('server process', () => {
  it('exits cleanly on shutdown + exit', async () => {
    const session = new LspSession();
    await session.initialize();
    const exited = new Promise<number | null>((resolve) => session.process.once('exit', (code) => resolve(code)));
    await session.connection.sendRequest('shutdown');
    await session.connection.sendNotification('exit');
    assert.equal(await exited, 0);
    session.connection.dispose();
  });

  it('can also be started by another editor with --stdio and prints nothing but LSP on stdout', async () => {
    const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: 'pipe' });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const deadline = Date.now() + 10_000;
    while (!Buffer.concat(chunks).toString().includes('"id":1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill();
    assert.match(Buffer.concat(chunks).toString(), /^Content-Length: \d+\r\n\r\n\{"jsonrpc":"2.0","id":1,"result":\{"capabilities"/);
  });
});
