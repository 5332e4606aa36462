/** The estimate code lens and the savings on findings, over stdio against dist/server.js (run `npm run build` first). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CodeLens, Hover } from 'vscode-languageserver-protocol';
import { showEstimateArguments } from '../../shared/src/protocol';
import { LspSession } from './lspSession';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const textOf = (message: string | { value: string }) => (typeof message === 'string' ? message : message.value);
const read = (name: string) => readFileSync(path.join(EXAMPLES, name), 'utf8');

describe('estimate code lens over stdio', function () {
  let session: LspSession;
  let settings: Record<string, unknown> = {};

  beforeEach(async () => {
    settings = {};
    session = new LspSession({ settings: () => settings });
    await session.initialize();
  });
  afterEach(async () => session.dispose());

  const lenses = (uri: string) => session.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } }) as Promise<CodeLens[]>;

  it('announces a code lens provider', async () => {
    const other = new LspSession();
    try {
      const result = (await other.initialize()) as { capabilities: { codeLensProvider?: unknown } };
      assert.deepEqual(result.capabilities.codeLensProvider, { resolveProvider: false });
    } finally {
      await other.dispose();
    }
  });

  it('shows the estimate above trainer.train() of the fine-tuning example, and GA101/GA201 carry savings', async () => {
    const uri = 'file:///tmp/green-ai-protocol/finetune_bert_trainer.py';
    const text = read('finetune_bert_trainer.py');
    await session.open(uri, text);
    const diagnostics = await session.diagnosticsFor(uri);
    const [lens, ...rest] = await lenses(uri);
    assert.equal(rest.length, 0);
    assert.equal(lens!.range.start.line, text.split('\n').findIndex((l) => l.startsWith('trainer.train()')));
    assert.match(lens!.command!.title, /^≈ [\d.]+ k?Wh · [\d.]+ k?g CO2e \(1× A100-SXM4-80GB, world average\) — assumptions$/);
    assert.equal(lens!.command!.command, 'greenAI.showEstimate');
    const [payload] = showEstimateArguments.parse(lens!.command!.arguments);
    assert.equal(payload.status, 'estimate');
    assert.equal(payload.uri, uri);

    const ga101 = diagnostics.find((d) => d.code === 'GA101')!;
    assert.match(textOf(ga101.message), /bf16=True: ≈ −\d+% energy on this run \(−[\d.]+ k?Wh, −[\d.]+ k?g CO2e\)\.$/);
    assert.match(textOf(diagnostics.find((d) => d.code === 'GA201')!.message), /worker processes: ≈ −\d+% energy on this run/);
    const hover = (await session.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: ga101.range.start })) as Hover;
    assert.match((hover.contents as { value: string }).value, /energy on this run/);
  });

  it('follows the settings (nested as VS Code sends them): GPU count and region', async () => {
    settings = { hardware: { gpu: 'H100', count: 8 }, location: 'aws:us-east-1' };
    const uri = 'file:///tmp/green-ai-protocol/finetune_h100.py';
    await session.open(uri, read('finetune_bert_trainer.py'));
    await session.diagnosticsFor(uri);
    const [lens] = await lenses(uri);
    assert.match(lens!.command!.title, /\(8× H100-SXM, us-east-1\) — assumptions$/);
  });

  it('names the missing input and how to give it when the run size is unknown (MNIST example)', async () => {
    const uri = 'file:///tmp/green-ai-protocol/mnist_cnn.py';
    await session.open(uri, read('mnist_cnn.py'));
    const diagnostics = await session.diagnosticsFor(uri);
    const [lens] = await lenses(uri);
    assert.match(lens!.command!.title, /^Green AI: estimate needs model size \(custom model Net\) — add `# green-ai: parameters=<count>`/);
    const [payload] = showEstimateArguments.parse(lens!.command!.arguments);
    assert.equal(payload.status, 'missing');
    assert.ok(diagnostics.every((d) => !/energy on this run/.test(textOf(d.message))), 'no saving without a run');
  });

  it('hovers on a checkpoint, a dataset, a GPU name and a Trainer argument show the values the estimate uses', async () => {
    const uri = 'file:///tmp/green-ai-protocol/hover_data.py';
    const text = read('finetune_bert_trainer.py') + '\nGPU = "NVIDIA A100-SXM4-80GB"\nREGION = "aws:us-east-1"\n';
    await session.open(uri, text);
    await session.diagnosticsFor(uri);
    const lines = text.split('\n');
    const at = (needle: string, offset = 1) => {
      const line = lines.findIndex((l) => l.includes(needle));
      return { line, character: lines[line]!.indexOf(needle) + offset };
    };
    const hover = async (position: { line: number; character: number }) => {
      const result = (await session.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position })) as Hover | null;
      return result ? textOf(result.contents as { value: string }) : '';
    };
    assert.match(await hover(at('"bert-base-uncased"')), /bert-base-uncased\*\* — 110 M parameters[\s\S]*Source: \[/);
    assert.match(await hover(at('"imdb"')), /imdb\*\* — 25,000 training examples/);
    assert.match(await hover(at('"NVIDIA A100-SXM4-80GB"')), /TDP 400 W · 80 GB · peak dense[\s\S]*bf16 312 TFLOP\/s/);
    assert.match(await hover(at('"aws:us-east-1"')), /gCO2e\/kWh[\s\S]*Source:/);
    assert.match(await hover(at('num_train_epochs', 2)), /estimate input: num_train_epochs[\s\S]*Value used: `3` — from TrainingArguments\(num_train_epochs=3\)/);
    assert.equal(await hover(at('import numpy', 2)), '');
  });
});
