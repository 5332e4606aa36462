/**
 * GA405 tensor-core-unaligned-dims: under mixed precision, a vocabulary or hidden size that is not a
 * multiple of 8 — in `nn.Embedding`/`nn.Linear` sizes, model-config keywords (`GPTConfig(vocab_size=50257)`)
 * or the constants and argparse defaults they resolve to. Each finding sits on the literal to change,
 * so a size used in several places is reported once.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { positionalArguments, keywordValue, rangeOf } from '../analysis/syntax';
import type { Rule, RuleFinding } from './rule';

const TEXT = /vocab|Embedding|Linear|hidden_size|n_embd|d_model|embed_dim|intermediate_size/;
/** Keywords (in calls, dataclass fields and module constants) that size a vocabulary: padding them is the nanoGPT fix. */
const VOCAB_NAMES = /^(vocab_size|n_vocab|num_embeddings|vocab|ntokens|n_tokens)$/;
/** Keywords that size hidden dimensions. */
const HIDDEN_NAMES = /^(hidden_size|n_embd|d_model|embed_dim|embedding_dim|intermediate_size|dim_feedforward|d_ff|n_inner)$/;
/** Every name VOCAB_NAMES and HIDDEN_NAMES accept contains one of these (a pre-filter on a call's text). */
const KEYWORD_TEXT = /vocab|num_embeddings|n_tokens|ntokens|hidden_size|n_embd|d_model|embed_dim|embedding_dim|intermediate_size|dim_feedforward|d_ff|n_inner/;
/** Below these, a size is more likely a class count or a toy model than a Tensor-Core-bound matmul. */
const MIN_VOCAB = 1000;
const MIN_HIDDEN = 64;
const ALIGNMENT = 8;
const PADDING = 64;
const EFFECT = { kind: 'slowdown' as const, factor: 'tensor-core-unaligned-vocab', label: 'vocabulary padded to a multiple of 64' };

export const tensorCoreUnalignedDims: Rule = {
  meta: {
    id: 'GA405',
    slug: 'tensor-core-unaligned-dims',
    title: 'Vocabulary or hidden size not a multiple of 8 under mixed precision',
    category: 'kernels',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Tensor Cores multiply fp16/bf16 matrices in tiles; when a matrix dimension is not a multiple of 8 the libraries fall back to padded or slower kernels. The Hugging Face single-GPU guide: "for fp16 data type a multiple of 8 is recommended, unless it\'s an A100 GPU, in which case use multiples of 64"; PyTorch\'s profiler flags fp16 matmuls with unaligned dimensions (MatMulDimInFP16Pattern). The embedding and output projection of a language model are the largest such matrices: nanoGPT pads GPT-2\'s vocabulary of 50257 to 50304, which its author measured as a ~25% training speed-up. Reported at information severity: sizes fixed by a pretrained checkpoint or by the number of classes cannot change, and padding changes the model (extra, never-used logits).',
    fix: 'Round the vocabulary (and hidden sizes) up to the next multiple of 64 (8 at least): e.g. vocab_size=50304 instead of 50257; the extra tokens are never produced by the tokenizer.',
    sources: [
      { title: 'Hugging Face — Efficient training on a single GPU, batch size and dimension choice', url: 'https://huggingface.co/docs/transformers/perf_train_gpu_one', year: 2024 },
      { title: 'NVIDIA Deep Learning Performance — Matrix multiplication background (Tensor Core requirements)', url: 'https://docs.nvidia.com/deeplearning/performance/dl-performance-matrix-multiplication/index.html', year: 2023 },
      { title: 'karpathy/nanoGPT — model.py / train.py (vocab_size 50304, "padded up to nearest multiple of 64 for efficiency")', url: 'https://github.com/karpathy/nanoGPT/blob/master/train.py', year: 2023 },
      { title: 'Andrej Karpathy — "increase vocab size from 50257 to 50304 … ~25% speedup"', url: 'https://x.com/karpathy/status/1621578354024677377', year: 2023 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || !context.usesTorch()) return [];
    const precision = context.runFacts().precision.value;
    if (precision !== 'bf16' && precision !== 'fp16') return [];
    const findings: RuleFinding[] = [];
    const reported = new Set<number>();
    const report = (expression: Node | null | undefined, kind: 'vocab' | 'hidden') => {
      const literal = expression ? literalOf(context, expression) : null;
      if (!literal || reported.has(literal.id)) return;
      const value = Number(literal.text.replace(/_/g, ''));
      if (!Number.isInteger(value) || value % ALIGNMENT === 0 || value < (kind === 'vocab' ? MIN_VOCAB : MIN_HIDDEN)) return;
      reported.add(literal.id);
      const padded = Math.ceil(value / PADDING) * PADDING;
      const what = kind === 'vocab' ? 'vocabulary size' : 'hidden size';
      findings.push({
        range: rangeOf(literal),
        message: `The ${what} ${value} is not a multiple of 8: under mixed precision the matrix multiplications it sizes cannot use Tensor Cores fully (nanoGPT measured up to ~25% faster training after padding its vocabulary from 50257 to 50304). Pad it to ${padded} (the next multiple of 64) unless a pretrained checkpoint fixes it.`,
        fixes: [{ title: `Pad to ${padded} (changes the model: ${padded - value} extra, never-used ${kind === 'vocab' ? 'tokens' : 'units'})`, preferred: false, edits: [{ range: rangeOf(literal), newText: String(padded) }] }],
        ...(kind === 'vocab' ? { effect: EFFECT } : {}),
      });
    };
    for (const call of context.calls()) {
      const name = context.qualifiedCallee(call) ?? '';
      if (/from_pretrained$/.test(name)) continue;
      if (/(^|\.)Embedding$/.test(name) && /^torch\.nn\.|^nn\./.test(name)) {
        report(keywordValue(call, 'num_embeddings') ?? positionalArguments(call)[0], 'vocab');
        report(keywordValue(call, 'embedding_dim') ?? positionalArguments(call)[1], 'hidden');
      } else if (/(^|\.)Linear$/.test(name) && /^torch\.nn\.|^nn\./.test(name)) {
        // Only large Linear sizes: small outputs are usually class counts.
        for (const [keyword, position] of [['in_features', 0], ['out_features', 1]] as const) {
          const size = keywordValue(call, keyword) ?? positionalArguments(call)[position];
          if (size && numberOf(context, size) >= MIN_VOCAB) report(size, 'vocab');
        }
      }
      // Reading every call's keyword arguments crosses into wasm per argument: only calls whose text names one of the keywords can match.
      if (!KEYWORD_TEXT.test(context.text.slice(call.startIndex, call.endIndex))) continue;
      for (const argument of call.childForFieldName('arguments')?.namedChildren ?? []) {
        if (argument?.type !== 'keyword_argument') continue;
        const keyword = argument.childForFieldName('name')?.text ?? '';
        if (VOCAB_NAMES.test(keyword)) report(argument.childForFieldName('value'), 'vocab');
        else if (HIDDEN_NAMES.test(keyword)) report(argument.childForFieldName('value'), 'hidden');
      }
    }
    // Dataclass-style config fields and module constants: `vocab_size: int = 50257`.
    for (const assignment of context.nodesOfType('assignment')) {
      const left = assignment.childForFieldName('left');
      if (left?.type !== 'identifier') continue;
      const right = assignment.childForFieldName('right');
      if (right?.type !== 'integer') continue;
      if (VOCAB_NAMES.test(left.text)) report(right, 'vocab');
      else if (HIDDEN_NAMES.test(left.text)) report(right, 'hidden');
    }
    return findings.sort((a, b) => a.range.start.line - b.range.start.line);
  },
};

/** The integer literal an expression resolves to (through names and argparse defaults); null when it is not one. */
function literalOf(context: AnalysisContext, expression: Node, depth = 0): Node | null {
  if (depth > 6) return null;
  switch (expression.type) {
    case 'integer':
      return expression;
    case 'identifier': {
      const definition = context.values().definitionOf(expression);
      return definition ? literalOf(context, definition, depth + 1) : null;
    }
    case 'attribute': {
      const fallback = context.values().argparseDefault(expression);
      return fallback && typeof fallback !== 'boolean' ? literalOf(context, fallback, depth + 1) : null;
    }
    default:
      return null;
  }
}

function numberOf(context: AnalysisContext, expression: Node): number {
  const literal = literalOf(context, expression);
  return literal ? Number(literal.text.replace(/_/g, '')) : NaN;
}
