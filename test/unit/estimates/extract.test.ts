import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadTables, type Tables } from '../../../shared/src/carbon/index';
import { defaultSettings, parseSettings } from '../../../shared/src/settings';
import { AnalysisContext } from '../../../server/src/analysis/context';
import type { RunFacts } from '../../../server/src/estimates/extract';
import { runFromFacts } from '../../../server/src/estimates/runInput';
import { estimateLensTitle } from '../../../server/src/features/codeLens';
import { analyze, pythonParser } from '../analyze';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');
const example = (name: string) => readFileSync(path.join(EXAMPLES, name), 'utf8');

function tables(): Tables {
  const loaded = loadTables();
  if (!loaded.ok) assert.fail(loaded.problems.map((p) => p.message).join('\n'));
  return loaded.value;
}

async function factsOf(text: string): Promise<RunFacts> {
  const tree = (await pythonParser()).parse(text);
  if (!tree) throw new Error('no tree');
  // The tree stays alive: the facts hold nodes of it (entry point).
  return new AnalysisContext(tree, text, 'file:///t.py').runFacts();
}

describe('run extraction', () => {
  it('reads the Hugging Face fine-tuning example: model, dataset, epochs, batch, sequence length, precision', async () => {
    const facts = await factsOf(example('finetune_bert_trainer.py'));
    assert.equal(facts.model?.kind, 'language');
    assert.equal(facts.model?.kind === 'language' && facts.model.row.parameters, 110e6);
    assert.equal(facts.dataset?.kind === 'known' && facts.dataset.row.trainExamples, 25_000);
    assert.equal(facts.epochs?.value, 3);
    assert.equal(facts.batchSize?.value, 16);
    assert.equal(facts.gradAccumulation?.value, 1, 'the TrainingArguments default, from training-defaults.json');
    assert.ok(facts.gradAccumulation?.defaultRow, 'a framework default carries its table row');
    assert.equal(facts.seqLength?.value, 512);
    assert.equal(facts.precision.value, 'fp32');
    assert.equal(facts.entry?.text, 'trainer.train()');
    const run = runFromFacts(facts, defaultSettings(), tables());
    assert.ok(run.ok);
    assert.deepEqual(run.input.compute, { parameters: 110e6, tokens: 25_000 * 512 * 3 });
    assert.deepEqual(run.input.hardware, { gpu: 'A100-SXM4-80GB', count: 1 });
    assert.deepEqual(run.input.location, { country: 'WORLD' });
    assert.ok(run.assumptions.some((a) => a.name === 'Parameters (bert-base-uncased)' && a.year === 2019 && /arxiv/.test(a.source.url ?? '')));
  });

  it('reads the Accelerate loop: constants, glue/mrpc, epoch loop, tokenizer max_length and bf16', async () => {
    const facts = await factsOf(example('accelerate_loop.py'));
    assert.equal(facts.model?.kind === 'language' && facts.model.row.id, 'bert-base-uncased');
    assert.equal(facts.dataset?.kind === 'known' && facts.dataset.row.id, 'glue/mrpc');
    assert.equal(facts.epochs?.value, 3);
    assert.equal(facts.batchSize?.value, 32);
    assert.equal(facts.seqLength?.value, 128);
    assert.equal(facts.precision.value, 'bf16');
  });

  it('reads the Lightning example: torchvision model, CIFAR-10 train split, max_epochs, devices, bf16-mixed', async () => {
    const facts = await factsOf(example('lightning_module.py'));
    assert.equal(facts.model?.kind === 'vision' && facts.model.row.id, 'resnet18');
    assert.equal(facts.dataset?.kind === 'known' && facts.dataset.row.id, 'cifar10');
    assert.equal(facts.epochs?.value, 30);
    assert.equal(facts.devices?.value, 1);
    assert.equal(facts.precision.value, 'bf16');
    assert.match(facts.entry?.text ?? '', /^trainer\.fit\(/);
    const run = runFromFacts(facts, defaultSettings(), tables());
    assert.ok(run.ok);
    // 32×32 images: the 224×224 per-image cost scaled by the area ratio.
    assert.ok(run.input.compute && 'flops' in run.input.compute);
    const flops = (run.input.compute as { flops: number }).flops;
    assert.ok(Math.abs(flops - 6 * 1.814e9 * (32 / 224) ** 2 * 50_000 * 30) / flops < 1e-9);
  });

  it('reads argparse defaults and names the custom model that cannot be sized (MNIST example)', async () => {
    const facts = await factsOf(example('mnist_cnn.py'));
    assert.deepEqual(facts.model && { kind: facts.model.kind, name: facts.model.name }, { kind: 'unknown', name: 'Net' });
    assert.equal(facts.dataset?.kind === 'known' && facts.dataset.row.trainExamples, 60_000);
    assert.equal(facts.epochs?.value, 14, 'for epoch in range(1, args.epochs + 1) with --epochs default 14');
    assert.equal(facts.batchSize?.value, 64);
    assert.equal(facts.entry?.type, 'for_statement');
    const run = runFromFacts(facts, defaultSettings(), tables());
    assert.ok(!run.ok);
    assert.equal(run.missing[0]?.input, 'model size (custom model Net)');
    assert.match(run.missing[0]?.how ?? '', /# green-ai: parameters=/);
  });

  it('sizes models through models.__dict__[args.arch] and asks for the size of an ImageFolder', async () => {
    const facts = await factsOf(example('resnet_dataparallel.py'));
    assert.equal(facts.model?.kind === 'vision' && facts.model.row.id, 'resnet50');
    assert.equal(facts.epochs?.value, 90);
    assert.equal(facts.multiDevice, 'nn.DataParallel (all visible GPUs)');
    const run = runFromFacts(facts, defaultSettings(), tables());
    assert.ok(!run.ok);
    assert.equal(run.missing[0]?.input, 'dataset size (ImageFolder)');
  });

  it('takes max_steps, gradient accumulation, ** dicts, torchrun hints and # green-ai: hints', async () => {
    const facts = await factsOf(`"""Launch: torchrun --nproc_per_node=8 train.py"""
from transformers import AutoModelForCausalLM, Trainer, TrainingArguments
CONFIG = dict(max_steps=1000, per_device_train_batch_size=4, gradient_accumulation_steps=8, bf16=True)
model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
args = TrainingArguments(output_dir="o", **CONFIG)
trainer = Trainer(model=model, args=args, train_dataset=ds)
trainer.train()  # green-ai: seq-length=2048
`);
    assert.equal(facts.maxSteps?.value, 1000);
    assert.equal(facts.devices?.value, 8);
    assert.equal(facts.precision.value, 'bf16');
    const run = runFromFacts(facts, parseSettings({ 'hardware.gpu': 'H100', location: 'aws:us-east-1' }).settings, tables());
    assert.ok(run.ok);
    assert.deepEqual(run.input.compute, { parameters: 7e9, tokens: 1000 * 4 * 8 * 8 * 2048 });
    assert.deepEqual(run.input.hardware, { gpu: 'H100', count: 8 });
    assert.deepEqual(run.input.location, { cloudRegion: { provider: 'aws', region: 'us-east-1' } });
  });

  it('uses corpus token counts for language-modelling datasets and reports each missing input with how to give it', async () => {
    const facts = await factsOf(`from datasets import load_dataset
from transformers import GPT2LMHeadModel
model = GPT2LMHeadModel.from_pretrained("gpt2")
raw = load_dataset("wikitext", "wikitext-103-raw-v1")
for epoch in range(2):
    for batch in loader:
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
`);
    const run = runFromFacts(facts, defaultSettings(), tables());
    assert.ok(run.ok);
    assert.deepEqual(run.input.compute, { parameters: 124e6, tokens: 103_227_021 * 2 });
    const unknown = await factsOf(`from transformers import AutoModel\nmodel = AutoModel.from_pretrained("my-org/secret-model")\nfor x in loader:\n    model(x).sum().backward()\n    opt.step()\n`);
    const missing = runFromFacts(unknown, defaultSettings(), tables());
    assert.ok(!missing.ok);
    assert.match(missing.missing[0]!.input, /"my-org\/secret-model" is not in the tables/);
  });

  it('stays silent for a file that does not train', async () => {
    const outcome = await analyze('import torch\nx = torch.zeros(3)\n');
    assert.equal(outcome.estimate, null);
  });
});

describe('estimates and savings on findings', () => {
  it('shows a lens title with energy, CO2e, hardware and location for the fine-tuning example', async () => {
    const outcome = await analyze(example('finetune_bert_trainer.py'));
    assert.equal(outcome.estimate?.status, 'estimate');
    assert.match(estimateLensTitle(outcome.estimate!), /^≈ [\d.]+ k?Wh · [\d.]+ k?g CO2e \(1× A100-SXM4-80GB, world average\) — assumptions$/);
  });

  it('names the missing input in the lens instead of a number (MNIST example)', async () => {
    const outcome = await analyze(example('mnist_cnn.py'));
    assert.equal(estimateLensTitle(outcome.estimate!), 'Green AI: estimate needs model size (custom model Net) — add `# green-ai: parameters=<count>` (or `flops=<training FLOPs>`, `hours=<wall-clock hours>`) to the script');
    assert.ok(outcome.findings.every((f) => !f.saving && !/energy on this run/.test(f.message)), 'no run, no saving');
  });

  it('GA101, GA201, GA202 and GA301 carry savings computed by re-running the model', async () => {
    const outcome = await analyze(example('finetune_bert_trainer.py'));
    const ga101 = outcome.findings.find((f) => f.ruleId === 'GA101')!;
    const ga201 = outcome.findings.find((f) => f.ruleId === 'GA201')!;
    assert.match(ga101.message, /bf16=True: ≈ −\d+% energy on this run \(−[\d.]+ k?Wh, −[\d.]+ k?g CO2e\)\.$/);
    assert.match(ga201.message, /worker processes: ≈ −\d+% energy on this run/);
    // The stall share comes from savings-factors.json, the precision change from the model's peaks and MFU.
    assert.ok(Math.abs(ga201.saving!.savings.fraction.energy - 0.3) < 0.02, String(ga201.saving!.savings.fraction.energy));
    // FP32 → bf16 on an A100: the published AMP speed-up (2×) halves the device time.
    assert.ok(Math.abs(ga101.saving!.savings.fraction.energy - 0.5) < 0.01, String(ga101.saving!.savings.fraction.energy));
    // Another GPU changes the saving in kWh: not a constant per rule.
    const h100 = await analyze(example('finetune_bert_trainer.py'), { 'hardware.gpu': 'H100' } as never);
    assert.notEqual(h100.findings.find((f) => f.ruleId === 'GA101')!.saving!.savings.energyKWh.value, ga101.saving!.savings.energyKWh.value);
    // A V100 has no bf16 tensor cores: the saving is that of fp16 autocast, and the message says so.
    const v100 = (await analyze(example('finetune_bert_trainer.py'), { 'hardware.gpu': 'V100' } as never)).findings.find((f) => f.ruleId === 'GA101')!;
    assert.match(v100.message, /bf16=True \(as fp16 with a GradScaler: V100 [^)]*has no bf16 tensor cores\): ≈ −50% energy on this run/);

    const loop = await analyze(`import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification
from datasets import load_dataset
model = AutoModelForSequenceClassification.from_pretrained("roberta-base").cuda()
ds = load_dataset("glue", "sst2")
train_loader = DataLoader(ds["train"], batch_size=32)
val_loader = DataLoader(ds["validation"], batch_size=64)
opt = torch.optim.AdamW(model.parameters())
for epoch in range(3):
    model.train()
    for batch in train_loader:
        loss = model(**batch).loss  # green-ai: seq-length=128
        loss.backward()
        opt.step()
    model.eval()
    for batch in val_loader:
        model(**batch)
`);
    const byRule = (id: string) => loop.findings.filter((f) => f.ruleId === id);
    assert.ok(byRule('GA202')[0]?.saving, 'GA202 on the training loader has a saving');
    assert.ok(!byRule('GA202')[1]?.saving, 'the validation loader does not slow training: no saving');
    assert.ok(byRule('GA301')[0]?.saving, 'GA301 has a saving');
    assert.ok(byRule('GA101')[0]?.saving);
  });
});
