import { torchDataLoaderCalls } from '../analysis/dataLoaders';
import { dataParallelWrapperCalls } from '../analysis/distributed';
import { firstLineRange, rangeOf } from '../analysis/syntax';
import { isEvaluationLoader } from '../estimates/extract';
import type { Rule, RuleFinding } from './rule';

/** DataLoader positions of `sampler` and `batch_sampler`. */
const SAMPLER_POSITION = 3;
const BATCH_SAMPLER_POSITION = 4;
/** A dataset already split by rank (`shard(num_shards=world_size, index=rank)`, `split_dataset_by_node`). */
const SHARDED_BY_HAND = /rank|world_size|num_replicas|shard|split_by_node|split_dataset_by_node/i;
/** Streaming datasets shard themselves (or must), and take no sampler. */
const STREAMING = /IterableDataset|split_dataset_by_node|webdataset|\bwds\./;

export const ddpWithoutDistributedSampler: Rule = {
  meta: {
    id: 'GA502',
    slug: 'ddp-without-distributed-sampler',
    title: 'DDP training DataLoader without a DistributedSampler',
    category: 'distributed',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Under DistributedDataParallel every rank runs the script\'s DataLoader; without a DistributedSampler each rank iterates the whole dataset, so with N GPUs an "epoch" costs N times the compute for the same distinct samples (the ranks only average gradients of duplicated data). DistributedSampler "restricts data loading to a subset of the dataset", exclusive to each rank. Reported at information severity: a dataset can be sharded by rank in ways the rule cannot see.',
    fix: 'Build the loader with sampler=DistributedSampler(dataset) (and shuffle=False in the DataLoader), and call sampler.set_epoch(epoch) at the start of each epoch.',
    sources: [
      { title: 'torch.utils.data — DistributedSampler', url: 'https://pytorch.org/docs/stable/data.html#torch.utils.data.distributed.DistributedSampler', year: 2024 },
      { title: 'Getting Started with Distributed Data Parallel', url: 'https://pytorch.org/tutorials/intermediate/ddp_tutorial.html', year: 2024 },
    ],
  },
  check(context) {
    const text = context.text;
    if (!text.includes('DataLoader') || !/DistributedDataParallel|DDP|FullyShardedDataParallel|FSDP|fully_shard/.test(text)) return [];
    if (STREAMING.test(text)) return [];
    const frameworks = context.frameworks();
    // Accelerate, Fabric, Lightning and the HF Trainer insert the distributed sampler themselves.
    if (['accelerate', 'fabric', 'lightning', 'hf-trainer', 'deepspeed'].some((f) => frameworks.has(f as never))) return [];
    const wrappers = dataParallelWrapperCalls(context);
    if (wrappers.length === 0) return [];
    const findings: RuleFinding[] = [];
    const values = context.values();
    for (const call of torchDataLoaderCalls(context)) {
      if (isEvaluationLoader(call)) continue;
      const sampler = values.argument(call, 'sampler', SAMPLER_POSITION);
      const batchSampler = values.argument(call, 'batch_sampler', BATCH_SAMPLER_POSITION);
      if (sampler.state !== 'absent' || batchSampler.state !== 'absent') continue;
      const dataset = values.argument(call, 'dataset', 0);
      if (dataset.state !== 'present' || SHARDED_BY_HAND.test(dataset.node.text)) continue;
      const definition = dataset.node.type === 'identifier' ? values.definitionOf(dataset.node) : null;
      if (definition && SHARDED_BY_HAND.test(definition.text)) continue;
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message:
          'This DataLoader feeds a DistributedDataParallel model without a DistributedSampler: every rank iterates the full dataset, so each epoch costs N× the compute for the same samples. Pass sampler=DistributedSampler(dataset) (with shuffle=False) and call sampler.set_epoch(epoch) each epoch.',
        related: [{ range: rangeOf(wrappers[0]!), message: 'the model is wrapped for data-parallel training here' }],
      });
    }
    return findings;
  },
};
