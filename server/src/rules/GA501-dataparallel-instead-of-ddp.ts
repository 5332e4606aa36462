import { firstLineRange } from '../analysis/syntax';
import type { Rule } from './rule';

const DATA_PARALLEL = new Set(['torch.nn.DataParallel', 'torch.nn.parallel.DataParallel', 'torch.nn.parallel.data_parallel']);

export const dataParallelInsteadOfDdp: Rule = {
  meta: {
    id: 'GA501',
    slug: 'dataparallel-instead-of-ddp',
    title: 'nn.DataParallel instead of DistributedDataParallel',
    category: 'distributed',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'DataParallel drives every GPU from one Python process: each step it re-replicates the model, scatters inputs and gathers outputs on GPU 0, and all replicas wait on one interpreter lock, so GPUs sit idle while still drawing power. DistributedDataParallel runs one process per GPU and overlaps gradient all-reduce with backward; PyTorch recommends it even on a single machine.',
    fix: 'Use DistributedDataParallel with one process per GPU, launched with torchrun --nproc_per_node=N (see the DDP tutorial).',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Use efficient data-parallel backend', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'Getting Started with Distributed Data Parallel', url: 'https://pytorch.org/tutorials/intermediate/ddp_tutorial.html', year: 2024 },
    ],
  },
  check(context) {
    if (!context.usesTorch()) return [];
    return context
      .calls()
      .filter((call) => DATA_PARALLEL.has(context.qualifiedCallee(call) ?? ''))
      .map((call) => ({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message:
          'nn.DataParallel keeps GPUs idle behind one Python process; use DistributedDataParallel (one process per GPU, torchrun) — https://pytorch.org/tutorials/intermediate/ddp_tutorial.html',
      }));
  },
};
