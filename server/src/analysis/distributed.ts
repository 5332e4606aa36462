/** Distributed data-parallel wrappers (DDP, FSDP) and the calls that configure them. */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from './context';

const DDP = /^torch\.nn\.parallel(\.distributed)?\.DistributedDataParallel$/;
const FSDP = /^torch\.distributed\.(fsdp|_composable\.fsdp)(\.fully_sharded_data_parallel)?\.(FullyShardedDataParallel|fully_shard)$/;

/** `DistributedDataParallel(...)` however it was imported (`DDP` alias included). */
export function ddpCalls(context: AnalysisContext): Node[] {
  if (!context.usesTorch()) return [];
  return context.calls().filter((call) => DDP.test(context.qualifiedCallee(call) ?? ''));
}

/** DDP or FSDP (`FullyShardedDataParallel(...)`, FSDP2 `fully_shard(...)`): every rank trains on its own process. */
export function dataParallelWrapperCalls(context: AnalysisContext): Node[] {
  if (!context.usesTorch()) return [];
  return context.calls().filter((call) => {
    const qualified = context.qualifiedCallee(call) ?? '';
    return DDP.test(qualified) || FSDP.test(qualified);
  });
}
