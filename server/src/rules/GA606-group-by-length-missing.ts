/**
 * GA606 group-by-length-missing: a Hugging Face Trainer (or TRL trainer) that pads every batch dynamically
 * to its longest sample, with `group_by_length` absent or false, so that short and long samples share
 * batches and the padding is computed and discarded.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument, replaceKeywordValue } from '../analysis/edits';
import { calleeMethod, firstLineRange, keywordValue } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const TEXT = /DataCollatorWithPadding|DataCollatorForSeq2Seq|DataCollatorForTokenClassification|padding\s*=\s*(True|"longest"|'longest')/;
const DYNAMIC_COLLATORS = /(^|\.)(DataCollatorWithPadding|DataCollatorForSeq2Seq|DataCollatorForTokenClassification|DataCollatorCTCWithPadding)$/;

export const groupByLengthMissing: Rule = {
  meta: {
    id: 'GA606',
    slug: 'group-by-length-missing',
    title: 'Dynamic padding without length grouping',
    category: 'input-pipeline',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'With dynamic padding every batch is padded to its longest sample; when samples of very different lengths are batched at random, most batches carry many padding tokens whose attention and feed-forward compute is thrown away. Hugging Face\'s group_by_length=True samples batches of roughly equal length "to minimize padding applied and be more efficient", and PyTorch\'s Performance Tuning Guide recommends bucketing sequences by length for the same reason (and to balance load across ranks). Reported at information severity: inputs of nearly equal length, packed sequences or a deliberate curriculum order gain nothing.',
    fix: 'Set group_by_length=True in TrainingArguments (it groups samples of similar length; batches stay random but their composition changes).',
    sources: [
      { title: 'Hugging Face Transformers — TrainingArguments.group_by_length', url: 'https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments', year: 2024 },
      { title: 'PyTorch Performance Tuning Guide — Load-balance workload in a distributed setting (bucketing by length)', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || !context.frameworks().has('hf-trainer')) return [];
    if (!pads(context)) return [];
    const findings: RuleFinding[] = [];
    const values = context.values();
    for (const call of context.huggingFaceArguments()) {
      if (packs(context, call)) continue;
      const lookup = values.argument(call, 'group_by_length');
      if (lookup.state === 'unknown') continue;
      if (lookup.state === 'present') {
        const value = values.resolve(lookup.node, { cliDefaults: false });
        if (value.kind !== 'bool' || value.value) continue;
      }
      const edit = lookup.state === 'present' ? replaceKeywordValue(call, 'group_by_length', 'True') : addKeywordArgument(context, call, 'group_by_length=True');
      const fixes: Fix[] = edit ? [{ title: 'Set group_by_length=True (changes which samples share a batch)', preferred: false, edits: [edit] }] : [];
      findings.push({
        range: firstLineRange(lookup.state === 'present' && lookup.node.parent?.type === 'keyword_argument' ? lookup.node.parent : call, (line) => context.lineText(line)),
        message: 'Batches are padded dynamically to their longest sample, but the Trainer batches samples of any length together (group_by_length is off): the padding tokens are computed and discarded. Set group_by_length=True to batch samples of similar length.',
        fixes,
      });
    }
    return findings;
  },
};

/** A dynamic-padding collator, or a tokenizer call padding to the longest sample, and no fixed-length padding. */
function pads(context: AnalysisContext): boolean {
  let dynamic = false;
  for (const call of context.calls()) {
    const padding = keywordValue(call, 'padding');
    if (padding) {
      const value = context.values().resolve(padding);
      if (value.kind === 'string' && value.value === 'max_length') return false;
      if ((value.kind === 'bool' && value.value) || (value.kind === 'string' && value.value === 'longest')) dynamic = true;
    }
    if (DYNAMIC_COLLATORS.test(context.qualifiedCallee(call) ?? '')) {
      const collatorPadding = keywordValue(call, 'padding');
      const value = collatorPadding ? context.values().resolve(collatorPadding) : null;
      if (value?.kind === 'string' && value.value === 'max_length') return false;
      dynamic = true;
    }
  }
  return dynamic;
}

/** TRL packing (`packing=True` on the config or the trainer) concatenates samples: there is no padding to group. */
function packs(context: AnalysisContext, args: Node): boolean {
  if (/packing\s*=\s*True/.test(args.text)) return true;
  return context.calls().some((call) => calleeMethod(call)?.endsWith('Trainer') && /packing\s*=\s*True/.test(call.text));
}
