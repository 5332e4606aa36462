import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument, replaceKeywordValue } from '../analysis/edits';
import { calleeMethod, firstLineRange, keywordArgument, keywordValue, positionalArguments, rangeOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const GRAD_SCALER = /^torch\.(cuda\.)?amp(\.grad_scaler)?\.GradScaler$/;
const BF16 = /^torch\.bfloat16$/;

export const bf16WithGradScaler: Rule = {
  meta: {
    id: 'GA104',
    slug: 'bf16-with-gradscaler',
    title: 'GradScaler used with bf16 autocast',
    category: 'precision',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Loss scaling exists because fp16 gradients underflow; bfloat16 has the exponent range of fp32, so a GradScaler under bf16 autocast only adds work to every step: scaling the loss, unscaling every gradient and checking them all for inf/NaN. Hugging Face\'s bf16 guide says loss scaling "is no longer needed", and torch.amp pairs GradScaler with float16. The rule fires only when every autocast in the file literally uses torch.bfloat16 and the scaler is enabled unconditionally.',
    fix: 'Create the scaler as GradScaler(enabled=(dtype == torch.float16)) (the nanoGPT pattern), or drop it together with its scale/unscale_/step/update calls.',
    sources: [
      { title: 'torch.amp documentation — Gradient scaling', url: 'https://pytorch.org/docs/stable/amp.html#gradient-scaling', year: 2024 },
      { title: 'huggingface/transformers PR #14579 — bf16/tf32 performance guide', url: 'https://github.com/huggingface/transformers/pull/14579', year: 2021 },
    ],
  },
  check(context) {
    const text = context.text;
    if (!text.includes('GradScaler') || !text.includes('bfloat16')) return [];
    if (!context.usesTorch()) return [];
    const dtype = autocastDtype(context);
    if (!dtype) return [];
    const findings: RuleFinding[] = [];
    for (const call of context.calls()) {
      if (calleeMethod(call) !== 'GradScaler' || !GRAD_SCALER.test(context.qualifiedCallee(call) ?? '')) continue;
      const enabled = context.values().argument(call, 'enabled');
      if (enabled.state === 'unknown') continue;
      if (enabled.state === 'present') {
        const value = context.values().resolve(enabled.node, { cliDefaults: false });
        if (!(value.kind === 'bool' && value.value)) continue;
      }
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message:
          'GradScaler is enabled although autocast runs in bfloat16: bf16 has fp32\'s exponent range, so scaling, unscaling and the inf/NaN check on every step are wasted work.',
        fixes: disableFix(context, call, dtype),
        related: [{ range: rangeOf(dtype.autocast), message: 'autocast uses torch.bfloat16 here' }],
      });
    }
    return findings;
  },
};

interface AutocastDtype {
  autocast: Node;
  /** The dtype as written when it is a name (`amp_dtype`), for `enabled=(amp_dtype == torch.float16)`. */
  variable: string | null;
}

/** The autocast dtype when every autocast in the file literally resolves to torch.bfloat16; null otherwise. */
function autocastDtype(context: AnalysisContext): AutocastDtype | null {
  let found: AutocastDtype | null = null;
  for (const call of context.calls()) {
    if (calleeMethod(call) !== 'autocast') continue;
    const dtype = keywordValue(call, 'dtype') ?? positionalArguments(call)[1] ?? null;
    if (!dtype) return null; // CUDA autocast defaults to float16.
    const literal = dtype.type === 'identifier' ? context.values().definitionOf(dtype) : dtype;
    if (!literal || !BF16.test(literal.text)) return null;
    found ??= { autocast: call, variable: dtype.type === 'identifier' ? dtype.text : null };
  }
  return found;
}

function disableFix(context: AnalysisContext, call: Node, dtype: AutocastDtype): Fix[] {
  const value = dtype.variable ? `(${dtype.variable} == torch.float16)` : 'False';
  const edit = keywordArgument(call, 'enabled') ? replaceKeywordValue(call, 'enabled', value) : addKeywordArgument(context, call, `enabled=${value}`);
  if (!edit) return [];
  // Not preferred: a disabled scaler no longer skips optimizer steps whose gradients hold inf/NaN.
  return [{ title: `Disable the GradScaler under bf16 (enabled=${value})`, preferred: false, edits: [edit] }];
}
