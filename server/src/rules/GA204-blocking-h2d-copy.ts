import type { TextEdit } from 'vscode-languageserver-types';
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { DATALOADER_POSITIONS, torchDataLoaderCalls } from '../analysis/dataLoaders';
import { addKeywordArgument, replaceKeywordValue } from '../analysis/edits';
import { calleeMethod, descendantsOfType, firstLineRange, keywordArgument, keywordValue, positionalArguments, receiverOf, statementOf } from '../analysis/syntax';
import type { StepLoop } from '../analysis/trainingLoop';
import type { Rule, RuleFinding } from './rule';

/** `.to(torch.float32)` converts the dtype in place on the same device: not a host-to-device copy. */
const DTYPE_ONLY = /^torch\.(float|double|half|bfloat16|long|int|short|bool|uint8|int8|int16|int32|int64|float16|float32|float64|complex\w*)$|(^|\.)dtype$/;
/** `.to(other_tensor)` and memory-format conversions are not device moves either. */
const IDENTIFIER = /[A-Za-z_]\w*/g;
const DEVICE_LIKE = /device|cuda|gpu|rank|^\d+$|["']/i;

export const blockingH2dCopy: Rule = {
  meta: {
    id: 'GA204',
    slug: 'blocking-h2d-copy',
    title: 'Pinned batches copied to the GPU with a blocking .to()',
    category: 'input-pipeline',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'pin_memory=True makes the DataLoader hand over page-locked batches precisely so that the host-to-device copy can run asynchronously; a plain .to(device) / .cuda() still waits for the copy to finish before the Python thread may queue the next kernel, so the CPU and GPU take turns instead of overlapping. PyTorch\'s pin-memory tutorial and the ImageNet reference script pair pinned loaders with non_blocking=True. Information severity: the gain is small when the next operation synchronises anyway.',
    fix: 'Pass non_blocking=True to the .to(device) / .cuda() calls that move each batch (host to device only; never for device-to-host copies read on the CPU).',
    sources: [
      { title: 'A guide on good usage of non_blocking and pin_memory() in PyTorch', url: 'https://pytorch.org/tutorials/intermediate/pinmem_nonblock.html', year: 2024 },
      { title: 'pytorch/examples — imagenet/main.py', url: 'https://github.com/pytorch/examples/blob/main/imagenet/main.py', year: 2024 },
    ],
  },
  check(context) {
    if (!context.text.includes('pin_memory')) return [];
    const pinnedLoaders = loadersByPinning(context);
    if (pinnedLoaders.pinned.size === 0 && !pinnedLoaders.unnamedPinned) return [];
    const findings: RuleFinding[] = [];
    for (const stepLoop of context.stepLoops()) {
      if (!iteratesPinnedLoader(stepLoop, pinnedLoaders)) continue;
      const batchNames = batchNamesOf(stepLoop.loop);
      // One finding per statement (`x, y = x.to(d), y.to(d)`), its fix covering every blocking move in it.
      const byStatement = new Map<number, Node[]>();
      for (const call of context.callsWithin(stepLoop.loop.childForFieldName('body') ?? stepLoop.loop)) {
        if (!isBlockingMove(call) || !movesBatch(call, batchNames)) continue;
        const statement = statementOf(call);
        byStatement.set(statement.id, [...(byStatement.get(statement.id) ?? []), call]);
      }
      for (const calls of byStatement.values()) {
        const edits = calls.map((call) =>
          keywordArgument(call, 'non_blocking') !== null ? replaceKeywordValue(call, 'non_blocking', 'True') : addKeywordArgument(context, call, 'non_blocking=True'));
        const first = calls[0]!;
        findings.push({
          range: firstLineRange(first, (line) => context.lineText(line)),
          message: `This batch comes from a pinned DataLoader but .${calleeMethod(first)}() copies it to the GPU synchronously; non_blocking=True lets the copy overlap with compute.`,
          // Preferred: a host-to-device copy on the current stream is ordered before every kernel that reads it.
          fixes: edits.every((edit) => edit !== null) ? [{ title: 'Set non_blocking=True', preferred: true, edits: edits as TextEdit[] }] : [],
        });
      }
    }
    return findings;
  },
};

interface LoaderPinning {
  pinned: Set<string>;
  unpinned: Set<string>;
  unnamedPinned: boolean;
  unnamedUnpinned: boolean;
}

function loadersByPinning(context: AnalysisContext): LoaderPinning {
  const result: LoaderPinning = { pinned: new Set(), unpinned: new Set(), unnamedPinned: false, unnamedUnpinned: false };
  for (const call of torchDataLoaderCalls(context)) {
    const pin = context.values().argument(call, 'pin_memory', DATALOADER_POSITIONS.pin_memory);
    const value = pin.state === 'present' ? context.values().resolve(pin.node) : null;
    const pinned = value?.kind === 'bool' && value.value;
    const name = call.parent?.type === 'assignment' ? call.parent.childForFieldName('left')?.text ?? null : null;
    if (name) (pinned ? result.pinned : result.unpinned).add(name);
    else if (pinned) result.unnamedPinned = true;
    else result.unnamedUnpinned = true;
  }
  return result;
}

/**
 * The loop iterates a loader known to be pinned, or (a parameter, `loaders["train"]`) some loader while every
 * loader in the file is pinned.
 */
function iteratesPinnedLoader(stepLoop: StepLoop, loaders: LoaderPinning): boolean {
  if (stepLoop.loop.type !== 'for_statement') return false;
  const iterable = stepLoop.loop.childForFieldName('right');
  if (!iterable) return false;
  const mentions = (name: string) => new RegExp(`(^|[^\\w.])${name.replace(/[.[\]()]/g, '\\$&')}($|[^\\w])`).test(iterable.text);
  if ([...loaders.pinned].some(mentions)) return true;
  if ([...loaders.unpinned].some(mentions)) return false;
  return loaders.unpinned.size === 0 && !loaders.unnamedUnpinned;
}

/** Names that hold the batch: the loop targets, and names unpacked from them in the loop body (`x, y = batch`). */
function batchNamesOf(loop: Node): Set<string> {
  const names = new Set(loop.childForFieldName('left')?.text.match(IDENTIFIER) ?? []);
  const body = loop.childForFieldName('body');
  // The loop body's own statements (unpacking happens there): cheaper than scanning every assignment of the file.
  for (const statement of body?.namedChildren ?? []) {
    const assignment = statement?.type === 'expression_statement' ? statement.namedChildren[0] : null;
    if (assignment?.type !== 'assignment') continue;
    const right = assignment.childForFieldName('right');
    const left = assignment.childForFieldName('left');
    if (!right || !left) continue;
    // A text scan first: only assignments that mention a batch name are walked.
    if (!(right.text.match(IDENTIFIER) ?? []).some((name) => names.has(name))) continue;
    if (rootIdentifiers(right).some((name) => names.has(name))) {
      for (const name of left.text.match(IDENTIFIER) ?? []) names.add(name);
    }
  }
  return names;
}

/** `.to(device)` / `.cuda()` without non_blocking=True (an explicit False counts as blocking). */
function isBlockingMove(call: Node): boolean {
  const method = calleeMethod(call);
  if (method !== 'to' && method !== 'cuda') return false;
  const nonBlocking = keywordValue(call, 'non_blocking');
  if (nonBlocking && nonBlocking.type !== 'false') return false;
  const positional = positionalArguments(call);
  if (method === 'cuda') return positional.length <= 1;
  if (positional.length >= 3) return false;
  const target = keywordValue(call, 'device') ?? positional[0] ?? null;
  if (!target || DTYPE_ONLY.test(target.text) || /^["']cpu/i.test(target.text)) return false;
  return DEVICE_LIKE.test(target.text);
}

/** The receiver is (part of) the batch: `data`, `batch["input_ids"]`, `v` in `{k: v.to(d) for k, v in batch.items()}`. */
function movesBatch(call: Node, batchNames: ReadonlySet<string>): boolean {
  const receiver = receiverOf(call);
  if (!receiver) return false;
  const roots = rootIdentifiers(receiver);
  if (roots.some((name) => batchNames.has(name))) return true;
  for (let p = call.parent; p; p = p.parent) {
    if (!/comprehension|generator_expression/.test(p.type)) continue;
    for (const clause of p.namedChildren) {
      if (clause?.type !== 'for_in_clause') continue;
      const bound = descendantsOfType(clause.childForFieldName('left') ?? clause, 'identifier').map((id) => id.text);
      const source = clause.childForFieldName('right');
      if (roots.some((name) => bound.includes(name)) && source && rootIdentifiers(source).some((name) => batchNames.has(name))) return true;
    }
  }
  return false;
}

/** The names an expression starts from: `batch` for `batch["x"]`, `batch.items()`, `(x, y)`. */
function rootIdentifiers(expression: Node): string[] {
  switch (expression.type) {
    case 'identifier':
      return [expression.text];
    case 'attribute':
      return rootIdentifiers(expression.childForFieldName('object') ?? expression.namedChildren[0]!);
    case 'subscript':
      return rootIdentifiers(expression.childForFieldName('value') ?? expression.namedChildren[0]!);
    case 'call': {
      const callee = expression.childForFieldName('function');
      return callee?.type === 'attribute' ? rootIdentifiers(callee) : [];
    }
    case 'tuple':
    case 'list':
    case 'expression_list':
    case 'parenthesized_expression':
      return expression.namedChildren.flatMap((child) => (child ? rootIdentifiers(child) : []));
    default:
      return [];
  }
}
