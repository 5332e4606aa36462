import type { Node } from 'web-tree-sitter';
import type { TextEdit } from 'vscode-languageserver-types';
import type { AnalysisContext } from '../analysis/context';
import { torchDataLoaderCalls } from '../analysis/dataLoaders';
import { inlineDeepSpeedConfigs } from '../analysis/deepspeedConfig';
import { calleeName, dictEntryOf, firstLineRange, keywordArgument, keywordValue, rangeOf } from '../analysis/syntax';
import { accumulationGuards } from '../analysis/trainingLoop';
import type { Fix, Rule, RuleFinding } from './rule';

const TEXT = /accum/;
/** Names plain-PyTorch scripts give the accumulation factor (module constants are often upper-case). */
const ACCUMULATION_NAME = /^(gradient_accumulation_steps|grad_accum_steps|grad_accum|accumulation_steps|accum_steps|accum_iter|accumulate_grad_batches)$/i;
const MIN_ACCUMULATION = 8;
const WHY_SHORT = 'each micro-step launches the same kernels for one or two samples, leaving most of the GPU idle';

export const microBatchTooSmall: Rule = {
  meta: {
    id: 'GA604',
    slug: 'micro-batch-too-small',
    title: 'Per-device batch of 1–2 with large gradient accumulation',
    category: 'schedule',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Gradient accumulation keeps the global batch while the per-device (micro) batch stays small; with a micro-batch of 1 or 2 every forward and backward launches the same kernels for very little work, so the GPU is mostly idle and the run takes longer for the same optimizer steps. The Hugging Face single-GPU guide: with a per-device limit of 4, "do not set the per_device_train_batch_size to 1 and gradient_accumulation_steps to 64. Instead, keep … 4 and set gradient_accumulation_steps=16 … making better use of the available GPU resources." PyTorch\'s TensorBoard profiler plugin likewise recommends a larger batch when GPU utilisation is low. Reported at information severity: some models only fit a batch of 1.',
    fix: 'Raise the micro-batch to the largest that fits in memory and divide the accumulation steps by the same factor, keeping the global batch (Hugging Face: auto_find_batch_size=True finds the largest fitting batch).',
    sources: [
      { title: 'Hugging Face — Efficient training on a single GPU, Gradient Accumulation', url: 'https://huggingface.co/docs/transformers/perf_train_gpu_one#gradient-accumulation', year: 2024 },
      { title: 'pytorch/kineto — tb_plugin recommendations (data.py)', url: 'https://github.com/pytorch/kineto/blob/main/tb_plugin/torch_tb_profiler/profiler/data.py', year: 2023 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text)) return [];
    const findings: RuleFinding[] = [];
    // argparse defaults count: they are what a launch without flags trains with (`--batch-size 2 --accum-steps 16`).
    const number = (node: Node | null | undefined) => {
      const value = node ? context.values().resolve(node) : null;
      return value?.kind === 'number' ? value.value : null;
    };
    for (const call of context.huggingFaceArguments()) {
      const batchLookup = context.values().argument(call, 'per_device_train_batch_size');
      const accumulationLookup = context.values().argument(call, 'gradient_accumulation_steps');
      if (batchLookup.state !== 'present' || accumulationLookup.state !== 'present') continue;
      const batch = number(batchLookup.node);
      const accumulation = number(accumulationLookup.node);
      if (!isTooSmall(batch, accumulation)) continue;
      findings.push({
        range: firstLineRange(batchLookup.node.parent?.type === 'keyword_argument' ? batchLookup.node.parent : call, (line) => context.lineText(line)),
        message: `per_device_train_batch_size=${batch} with gradient_accumulation_steps=${accumulation}: ${WHY_SHORT}. Raise the micro-batch to what fits and divide the accumulation accordingly (same global batch), or set auto_find_batch_size=True.`,
        fixes: rebalanceFix(call, batch!, accumulation!, 'per_device_train_batch_size', 'gradient_accumulation_steps'),
      });
    }
    findings.push(...checkLoaders(context, number));
    findings.push(...checkDeepSpeedConfigs(context, number));
    return findings;
  },
};

function isTooSmall(batch: number | null, accumulation: number | null): boolean {
  return batch !== null && accumulation !== null && (batch === 1 || batch === 2) && accumulation >= MIN_ACCUMULATION;
}

/**
 * Multiplies the micro-batch by the largest factor that keeps it at most 4 (the Hugging Face guide's example) and
 * divides the accumulation by the same factor, when both are literals of this call and the division is exact.
 */
function rebalanceFix(call: Node, batch: number, accumulation: number, batchKey: string, accumulationKey: string): Fix[] {
  const batchValue = keywordValue(call, batchKey);
  const accumulationValue = keywordValue(call, accumulationKey);
  if (batchValue?.type !== 'integer' || accumulationValue?.type !== 'integer' || !keywordArgument(call, batchKey)) return [];
  const factor = [4, 2].find((f) => batch * f <= 4 && accumulation % f === 0);
  if (!factor) return [];
  const edits: TextEdit[] = [
    { range: rangeOf(batchValue), newText: String(batch * factor) },
    { range: rangeOf(accumulationValue), newText: String(accumulation / factor) },
  ];
  return [{ title: `Use ${batchKey}=${batch * factor} and ${accumulationKey}=${accumulation / factor} (same global batch; needs more GPU memory)`, preferred: false, edits }];
}

/**
 * Accelerate's `Accelerator(gradient_accumulation_steps=N)`, the divisor of the modulo guard that gates a step loop's
 * optimizer step (`if (step + 1) % N == 0: optimizer.step()`, the form that does not depend on naming), or a plain
 * accumulation constant, with a DataLoader batch of 1–2.
 */
function checkLoaders(context: AnalysisContext, number: (node: Node | null | undefined) => number | null): RuleFinding[] {
  let accumulation: number | null = null;
  for (const call of context.calls()) {
    if (!/(^|\.)Accelerator$/.test(calleeName(call) ?? '')) continue;
    accumulation = Math.max(accumulation ?? 0, number(keywordValue(call, 'gradient_accumulation_steps')) ?? 0);
  }
  for (const { divisor } of context.stepLoops().flatMap(accumulationGuards)) {
    const value = number(divisor);
    if (value !== null) accumulation = Math.max(accumulation ?? 0, value);
  }
  if (!accumulation && context.stepLoops().length > 0) {
    for (const assignment of context.nodesOfType('assignment')) {
      const left = assignment.childForFieldName('left');
      if (left?.type !== 'identifier' || !ACCUMULATION_NAME.test(left.text)) continue;
      const value = number(assignment.childForFieldName('right'));
      if (value !== null) accumulation = Math.max(accumulation ?? 0, value);
    }
  }
  if (!accumulation || accumulation < MIN_ACCUMULATION) return [];
  const findings: RuleFinding[] = [];
  for (const loader of torchDataLoaderCalls(context)) {
    const lookup = context.values().argument(loader, 'batch_size', 1);
    if (lookup.state !== 'present') continue;
    const batch = number(lookup.node);
    if (!isTooSmall(batch, accumulation)) continue;
    // An evaluation loader's batch does not meet the accumulation.
    if (/\b(val|valid|validation|eval|test)\w*\s*=\s*$/i.test(context.lineText(loader.startPosition.row).slice(0, loader.startPosition.column))) continue;
    findings.push({
      range: firstLineRange(loader, (line) => context.lineText(line)),
      message: `This DataLoader feeds micro-batches of ${batch} with ${accumulation} accumulation steps: ${WHY_SHORT}. Raise batch_size to what fits and divide the accumulation accordingly (same global batch).`,
      fixes: [],
    });
  }
  return findings;
}

/** An inline DeepSpeed config (`deepspeed.initialize(config=ds_config)`, a dict literal) with a micro-batch of 1–2 and 8+ accumulation steps. */
function checkDeepSpeedConfigs(context: AnalysisContext, number: (node: Node | null | undefined) => number | null): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const config of inlineDeepSpeedConfigs(context)) {
    const batchNode = config.keys.get('train_micro_batch_size_per_gpu');
    const accumulationNode = config.keys.get('gradient_accumulation_steps');
    const batch = number(batchNode);
    const accumulation = number(accumulationNode);
    if (!batchNode || !accumulationNode || !isTooSmall(batch, accumulation)) continue;
    const factor = [4, 2].find((f) => batch! * f <= 4 && accumulation! % f === 0);
    const literal = batchNode.type === 'integer' && accumulationNode.type === 'integer';
    const edits: TextEdit[] = factor && literal
      ? [{ range: rangeOf(batchNode), newText: String(batch! * factor) }, { range: rangeOf(accumulationNode), newText: String(accumulation! / factor) }]
      : [];
    findings.push({
      range: firstLineRange(dictEntryOf(batchNode), (line) => context.lineText(line)),
      message: `"train_micro_batch_size_per_gpu": ${batch} with "gradient_accumulation_steps": ${accumulation}: ${WHY_SHORT}. Raise the micro-batch to what fits and divide the accumulation accordingly (same global batch).`,
      fixes: edits.length > 0
        ? [{ title: `Use train_micro_batch_size_per_gpu ${batch! * factor!} and gradient_accumulation_steps ${accumulation! / factor!} (same global batch; needs more GPU memory)`, preferred: false, edits }]
        : [],
    });
  }
  return findings;
}
