import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTables, resolveGpu, resolveLocation } from '../../../shared/src/carbon/index';
import { showEstimateArguments } from '../../../shared/src/protocol';
import { defaultSettings, parseSettings, SETTINGS } from '../../../shared/src/settings';
import { main } from '../../../server/src/cli/main';
import { codeLensesFor } from '../../../server/src/features/codeLens';
import { analyze } from '../analyze';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd: process.cwd() });
  return { code, stdout, stderr };
}

describe('estimate settings', () => {
  it('defaults resolve in the tables (A100-SXM4-80GB, WORLD, 1 device, no overrides)', () => {
    const settings = defaultSettings();
    assert.equal(resolveGpu(settings['hardware.gpu']).ok, true);
    assert.equal(resolveLocation(settings.location).ok, true);
    assert.equal(settings['hardware.count'], 1);
    assert.deepEqual(settings['carbon.overrides'], {});
    assert.equal(SETTINGS['hardware.gpu'].default, 'A100-SXM4-80GB');
  });

  it("reads dotted keys flat (settings file) and nested (VS Code's workspace/configuration)", () => {
    const flat = parseSettings({ 'hardware.gpu': 'H100', 'hardware.count': 8, location: 'aws:us-east-1', 'carbon.overrides': { providers: { aws: { pue: 1.2 } } } });
    const nested = parseSettings({ hardware: { gpu: 'H100', count: 8 }, location: 'aws:us-east-1', carbon: { overrides: { providers: { aws: { pue: 1.2 } } } } });
    assert.deepEqual(flat.problems, []);
    assert.deepEqual(nested, flat);
    assert.equal(nested.settings['hardware.gpu'], 'H100');
    assert.deepEqual(nested.settings['carbon.overrides'], { providers: { aws: { pue: 1.2 } } });
  });

  it('reports an invalid value with its key (and suggestions) and falls back for that key only', () => {
    const { settings, problems } = parseSettings({ hardware: { gpu: 'A1000', count: 4 }, location: 'Narnia', carbon: { overrides: { providers: { aws: { pue: 0.5 } } } } });
    assert.deepEqual(problems.map((p) => p.key), ['greenAI.hardware.gpu', 'greenAI.location', 'greenAI.carbon.overrides.providers.aws.pue']);
    assert.match(problems[0]!.message, /did you mean a100/);
    assert.equal(settings['hardware.gpu'], 'A100-SXM4-80GB');
    assert.equal(settings['hardware.count'], 4);
    assert.equal(settings.location, 'WORLD');
    assert.deepEqual(settings['carbon.overrides'], {});
    const provider = parseSettings({ 'carbon.overrides': { providers: { oracle: { pue: 1.2 } } } });
    assert.deepEqual(provider.problems.map((p) => p.key), ['greenAI.carbon.overrides.providers.oracle']);
    assert.match(provider.problems[0]!.message, /unknown provider "oracle"/);
  });

  it('changes the estimate: location, GPU count and overrides show in the lens and the assumptions', async () => {
    const text = `from transformers import AutoModelForCausalLM, Trainer, TrainingArguments
model = AutoModelForCausalLM.from_pretrained("gpt2")
args = TrainingArguments(output_dir="o", max_steps=5000, per_device_train_batch_size=8, bf16=True)
Trainer(model=model, args=args).train()  # green-ai: seq-length=1024
`;
    const world = await analyze(text);
    const [lens] = codeLensesFor('file:///t.py', world.estimate);
    assert.match(lens!.command!.title, /^≈ .* CO2e \(1× A100-SXM4-80GB, world average\) — assumptions$/);
    const us = await analyze(text, { 'hardware.count': 8, location: 'aws:us-east-1', 'carbon.overrides': { cloudRegions: { 'aws:us-east-1': 1 } } } as never);
    const [usLens] = codeLensesFor('file:///t.py', us.estimate);
    assert.match(usLens!.command!.title, /\(8× A100-SXM4-80GB, us-east-1\)/);
    assert.equal(us.estimate?.status, 'estimate');
    if (us.estimate?.status !== 'estimate') return;
    assert.ok(us.estimate.estimate.assumptions.some((a) => a.source.title === 'User override (overrides.cloudRegions.aws:us-east-1)'));
    assert.deepEqual(showEstimateArguments.parse(usLens!.command!.arguments).length, 1, 'the command argument matches the protocol schema');
  });
});

describe('green-ai estimate', () => {
  it('estimates from flags alone, as text', async () => {
    const { code, stdout } = await cli(['estimate', '--gpu', 'H100', '--gpus', '8', '--hours', '24', '--location', 'DE']);
    assert.equal(code, 0);
    assert.match(stdout.split('\n')[0]!, /^≈ \d+ kWh · \d+ kg CO2e \(8× H100-SXM, Germany\)$/);
    assert.match(stdout, /\nassumptions:\n/);
    assert.match(stdout, /Grid carbon intensity \(Germany\): 381 gCO2e\/kWh/);
    assert.match(stdout, /warning: "H100" is ambiguous/);
  });

  it('prints the documented JSON shape', async () => {
    const { code, stdout } = await cli(['estimate', '--gpu', 'A100', '--params', '7e9', '--tokens', '1e11', '--precision', 'bf16', '--location', 'aws:us-east-1', '--format', 'json']);
    assert.equal(code, 0);
    const json = JSON.parse(stdout);
    assert.deepEqual(Object.keys(json), ['version', 'energyKWh', 'co2eKg', 'waterL', 'durationHours', 'inputs', 'assumptions']);
    assert.equal(json.version, 1);
    assert.deepEqual(Object.keys(json.energyKWh), ['value', 'low', 'high']);
    assert.deepEqual(Object.keys(json.co2eKg), ['operational', 'embodied', 'total', 'low', 'high']);
    assert.ok(json.co2eKg.low <= json.co2eKg.total && json.co2eKg.total <= json.co2eKg.high);
    assert.deepEqual(json.inputs.compute, { parameters: 7e9, tokens: 1e11 });
    assert.ok(json.assumptions.length > 5);
  });

  it('estimates the run a script describes; flags override it', async () => {
    const file = path.join(EXAMPLES, 'finetune_bert_trainer.py');
    const fromFile = JSON.parse((await cli(['estimate', file, '--format', 'json'])).stdout);
    assert.deepEqual(fromFile.inputs.compute, { parameters: 110e6, tokens: 25_000 * 512 * 3 });
    assert.ok(fromFile.assumptions.some((a: { name: string }) => a.name === 'Parameters (bert-base-uncased)'));
    const overridden = JSON.parse((await cli(['estimate', file, '--gpus', '4', '--precision', 'bf16', '--format', 'json'])).stdout);
    assert.equal(overridden.inputs.hardware.count, 4);
    assert.equal(overridden.inputs.precision, 'bf16');
    assert.ok(overridden.energyKWh.value < fromFile.energyKWh.value, 'bf16 is cheaper');
  });

  it("uses the project file next to the script (location, GPU) where flags are silent, as check does", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'green-ai-estimate-project-'));
    const file = path.join(dir, 'train.py');
    writeFileSync(file, readFileSync(path.join(EXAMPLES, 'finetune_bert_trainer.py')));
    writeFileSync(path.join(dir, '.green-ai.toml'), 'location = "FR"\n[hardware]\ngpu = "H100-SXM"\n');
    const projected = JSON.parse((await cli(['estimate', file, '--format', 'json'])).stdout);
    assert.equal(projected.inputs.location.label, 'France');
    assert.match(projected.inputs.hardware.gpu, /H100/);
    const flagged = JSON.parse((await cli(['estimate', file, '--location', 'DE', '--format', 'json'])).stdout);
    assert.equal(flagged.inputs.location.label, 'Germany');
  });

  it('says what is missing for a script whose size is unknown (exit 1), unless flags give it', async () => {
    const missing = await cli(['estimate', path.join(EXAMPLES, 'mnist_cnn.py')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /needs model size \(custom model Net\)/);
    const given = await cli(['estimate', path.join(EXAMPLES, 'mnist_cnn.py'), '--hours', '0.5']);
    assert.equal(given.code, 0, given.stderr);
  });

  it('rejects unknown GPUs and locations with the closest names, and bad flags (exit 2)', async () => {
    const gpu = await cli(['estimate', '--gpu', 'A1000', '--hours', '1']);
    assert.equal(gpu.code, 2);
    assert.match(gpu.stderr, /unknown GPU "A1000" \(did you mean a100, a10g, h100\?\)/);
    const place = await cli(['estimate', '--location', 'Germny', '--hours', '1']);
    assert.equal(place.code, 2);
    assert.match(place.stderr, /unknown location "Germny".*Germany/);
    assert.equal((await cli(['estimate'])).code, 2, 'no size and no file');
    assert.equal((await cli(['estimate', '--hours', '1', '--flops', '1e18'])).code, 2, 'two sizes');
    assert.equal((await cli(['estimate', '--hours', '1', '--precision', 'int4'])).code, 2);
    assert.equal((await cli(['estimate', '--params', '1e9'])).code, 2, '--params without --tokens');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'green-ai-est-'));
    writeFileSync(path.join(dir, 'x.py'), 'print(1)\n');
    assert.equal((await cli(['estimate', path.join(dir, 'missing.py')])).code, 2);
  });
});

describe('extraction tables', () => {
  it('every language-model, dataset, training-default and savings-factor row names a source and a year', () => {
    const loaded = loadTables();
    assert.ok(loaded.ok);
    const t = loaded.value;
    const rows = [...t.languageModels.rows, ...t.datasets.rows, ...t.trainingDefaults.rows, ...t.savingsFactors.rows];
    assert.ok(rows.length > 40);
    for (const row of rows) {
      assert.match(row.source.url, /^https:\/\//, JSON.stringify(row).slice(0, 80));
      assert.ok(row.year >= 1990 && row.year <= 2026);
    }
    for (const name of ['bert-base-uncased', 'bert-large-uncased', 'distilbert-base-uncased', 'roberta-base', 'gpt2', 'gpt2-xl', 't5-small', 't5-base', 'meta-llama/Llama-2-7b-hf', 'llama-2-13b', 'meta-llama/Meta-Llama-3-8B', 'mistralai/Mistral-7B-v0.1', 'Qwen/Qwen2.5-0.5B', 'Qwen/Qwen2.5-7B']) {
      assert.ok(t.languageModels.rows.some((r) => [r.id, ...r.aliases].some((n) => n.toLowerCase() === name.toLowerCase())), name);
    }
    for (const name of ['glue/sst2', 'imdb', 'mnist', 'cifar10', 'imagenet-1k', 'squad', 'wikitext-103']) assert.ok(t.datasets.rows.some((r) => r.id === name), name);
  });
});
