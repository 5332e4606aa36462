/** PyTorch DataLoader constructions and what their arguments say. */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from './context';
import { calleeMethod, calleeName, keywordValue, positionalArguments } from './syntax';

/** DataLoader's positional order: dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn, pin_memory. */
export const DATALOADER_POSITIONS = { num_workers: 5, pin_memory: 7 } as const;

export function torchDataLoaderCalls(context: AnalysisContext): Node[] {
  if (!context.usesTorch()) return [];
  return context.calls().filter((call) => {
    const qualified = context.qualifiedCallee(call) ?? '';
    if (!/(^|\.)DataLoader$/.test(qualified)) return false;
    // An unqualified name comes from a star import or a re-export; torch_geometric's loader subclasses torch's.
    return !qualified.includes('.') || qualified.startsWith('torch.') || qualified.startsWith('torch_geometric.');
  });
}

/**
 * The dataset is already on the GPU (`TensorDataset(x.cuda(), ...)`, `TensorDataset(x.to(device))`):
 * workers and pinning would not help, and pinning a CUDA tensor raises.
 */
export function datasetIsOnDevice(context: AnalysisContext, loader: Node): boolean {
  const dataset = context.values().argument(loader, 'dataset', 0);
  if (dataset.state !== 'present') return false;
  const expression = definitionOrSelf(context, dataset.node);
  if (expression.type !== 'call' || !/TensorDataset$/.test(calleeName(expression) ?? '')) return false;
  return positionalArguments(expression).some((argument) => movesToDevice(definitionOrSelf(context, argument)));
}

function definitionOrSelf(context: AnalysisContext, node: Node): Node {
  return node.type === 'identifier' ? context.values().definitionOf(node) ?? node : node;
}

function movesToDevice(expression: Node): boolean {
  if (expression.type !== 'call') return false;
  const method = calleeMethod(expression);
  return method === 'cuda' || method === 'to' || keywordValue(expression, 'device') !== null;
}
