import type { AnalysisContext } from '../analysis/context';
import type { Fact } from '../estimates/extract';
import type { Rule } from './rule';

/** Only `load_dataset(...)` and `torchvision.datasets.X(...)` yield a dataset the tables size. */
const TEXT = /load_dataset|datasets/;

export const globalBatchOversized: Rule = {
  meta: {
    id: 'GA605',
    slug: 'global-batch-oversized',
    title: 'Global batch larger than the training set',
    category: 'schedule',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'The global batch (micro-batch × gradient accumulation × devices) is larger than the whole training split, so every optimizer step sees more than an epoch of data and an epoch yields less than one update. McCandlish et al. (2018) show that beyond the "critical batch size" extra samples per step stop reducing the number of steps: the run spends more samples — more energy — to reach the same loss; Golmant et al. (2018) found the same diminishing returns for SGD. A batch larger than the dataset is far past that point for any task (the critical batch depends on the task and the model, and no table here gives one per model, so only the dataset-size condition is checked). The Hugging Face single-GPU guide: "Just because one can use a large batch size, does not necessarily mean they should." The dataset size comes from shared/data/datasets.json (training split); devices count only when the script says how many.',
    fix: 'Lower the micro-batch or the gradient accumulation so that an epoch holds several optimizer steps (and retune the learning rate), or train on a larger dataset.',
    sources: [
      { title: 'McCandlish et al. — An Empirical Model of Large-Batch Training', url: 'https://arxiv.org/abs/1812.06162', year: 2018 },
      { title: 'Golmant et al. — On the Computational Inefficiency of Large Batch Sizes for Stochastic Gradient Descent', url: 'https://arxiv.org/abs/1811.12941', year: 2018 },
      { title: 'Hugging Face — Efficient training on a single GPU', url: 'https://huggingface.co/docs/transformers/perf_train_gpu_one', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text)) return [];
    const facts = context.runFacts();
    const dataset = facts.dataset;
    if (dataset?.kind !== 'known') return [];
    const batch = facts.hints['batch-size'] ?? facts.batchSize;
    if (!batch) return [];
    const accumulation = facts.gradAccumulation;
    const devices = facts.hints.devices ?? facts.devices;
    const global = batch.value * (accumulation?.value ?? 1) * (devices?.value ?? 1);
    const examples = dataset.row.trainExamples;
    if (global <= examples) return [];
    const factors = [describe('micro-batch', batch), accumulation && accumulation.value !== 1 ? describe('accumulation', accumulation) : null, devices && devices.value !== 1 ? describe('devices', devices) : null]
      .filter((part): part is string => part !== null)
      .join(' × ');
    const line = [batch, accumulation, devices].map((fact) => fact?.line ?? null).find((l): l is number => l !== null) ?? dataset.line;
    return [
      {
        range: lineRange(context, line),
        message: `Global batch ${global} (${factors}) is larger than the ${examples} training examples of ${dataset.name}: each optimizer step covers more than an epoch, far beyond the batch size where more samples per step still reduce the steps needed (McCandlish et al. 2018), so the extra samples cost energy without speeding up training. Use a smaller micro-batch or accumulation so that an epoch holds several steps.`,
      },
    ];
  },
};

function describe(name: string, fact: Fact<number>): string {
  return `${name} ${fact.value} from ${fact.from}`;
}

function lineRange(context: AnalysisContext, line: number) {
  const text = context.lineText(line);
  const start = text.length - text.trimStart().length;
  return { start: { line, character: start }, end: { line, character: text.replace(/\s+$/, '').length } };
}
