import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument, insertAfterImports, replaceKeywordValue } from '../analysis/edits';
import { calleeMethod, firstLineRange, positionalArguments, rangeOf, receiverOf } from '../analysis/syntax';
import { usesReducedPrecision } from './GA101-amp-missing';
import type { Fix, Rule, RuleFinding } from './rule';

const SET_PRECISION = 'torch.set_float32_matmul_precision("high")';
const MATMUL_TEXT = /Linear|Transformer|MultiheadAttention|LSTM|GRU|AutoModel|from_pretrained|Attention|GPT|Bert|Llama/;
/** Layers dominated by matrix multiplications (what TF32 speeds up). */
const MATMUL_LAYERS = /^(Linear|LazyLinear|Bilinear|Transformer|TransformerEncoder|TransformerDecoder|TransformerEncoderLayer|TransformerDecoderLayer|MultiheadAttention|LSTM|GRU|RNN|LSTMCell|GRUCell)$/;
/** Convolutions already run in TF32 by default (torch.backends.cudnn.allow_tf32 is True). */
const CONV_LAYERS = /^(Conv[123]d|ConvTranspose[123]d|LazyConv[123]d|resnet\d*|resnext\w*|wide_resnet\w*|vgg\w*|densenet\w*|efficientnet\w*|mobilenet\w*|convnext\w*|regnet\w*|inception\w*|alexnet|squeezenet\w*|shufflenet\w*|mnasnet\w*|googlenet)$/;
const NOT_A_MODEL = /Tokenizer|Config|Processor|FeatureExtractor|ImageProcessor|Dataset/;
const FULL_PRECISION_LIGHTNING = new Set(['32', '32-true']);
const FIX_TITLE = `Enable TF32 matmuls: ${SET_PRECISION} (changes numerics: TF32)`;
const WHY_SHORT = 'fp32 matrix multiplications on Ampere and newer GPUs then run without TF32 tensor cores (up to several times slower; HF reports up to 3× throughput from enabling it)';

export const tf32NotEnabled: Rule = {
  meta: {
    id: 'GA102',
    slug: 'tf32-not-enabled',
    title: 'fp32 matmul-heavy GPU training without TF32',
    category: 'precision',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: false,
    why:
      'Since PyTorch 1.12 fp32 matrix multiplications do not use TF32 tensor cores unless asked (torch.backends.cuda.matmul.allow_tf32 = False by default), so a model that trains in fp32 on an Ampere or newer GPU runs its Linear/attention/RNN layers on the much slower full-fp32 path. Hugging Face\'s single-GPU guide reports up to 3× throughput from enabling TF32 with unchanged convergence for most workloads, and Lightning prints a start-up hint for exactly this. Opt-in: TF32 changes numerics (10-bit mantissa inputs), has no effect before Ampere, and precision-sensitive scientific code may need full fp32; convolution-dominated models are not flagged (cuDNN uses TF32 for convolutions by default).',
    fix: 'Call torch.set_float32_matmul_precision("high") once after the imports (or train in bf16 mixed precision, GA101); Hugging Face: tf32=True.',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Enable Tensor cores', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'Hugging Face — Efficient training on a single GPU: TF32', url: 'https://huggingface.co/docs/transformers/perf_train_gpu_one#tf32', year: 2024 },
      { title: 'PyTorch CUDA semantics — TensorFloat-32 on Ampere and later', url: 'https://pytorch.org/docs/stable/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later-devices', year: 2024 },
      { title: 'PyTorch profiler pattern matcher (FP32MatMulPattern)', url: 'https://github.com/pytorch/pytorch/blob/main/torch/profiler/_pattern_matcher.py', year: 2024 },
    ],
  },
  check(context) {
    if (!MATMUL_TEXT.test(context.text)) return [];
    const frameworks = context.frameworks();
    if (!context.usesTorch() && !frameworks.has('hf-trainer') && !frameworks.has('lightning')) return [];
    if (!context.gpu().present) return [];
    if (frameworks.has('accelerate') || frameworks.has('deepspeed') || frameworks.has('keras') || frameworks.has('fabric')) return [];
    const setting = tf32Setting(context);
    if (setting.state === 'enabled' || setting.state === 'unknown') return [];
    if (!isMatmulHeavy(context) || usesReducedPrecision(context)) return [];
    const findings: RuleFinding[] = [];
    if (setting.state === 'disabled') {
      findings.push({
        range: firstLineRange(setting.node, (line) => context.lineText(line)),
        message: `TF32 is explicitly turned off for matmuls: ${WHY_SHORT}. Leave it off only if this code needs full fp32 accuracy.`,
        fixes: setting.fix ? [{ title: setting.fix.title, preferred: false, edits: [setting.fix.edit] }] : [],
      });
      return findings;
    }
    const anchor = context.stepLoops()[0]?.backwardCalls[0] ?? null;
    if (anchor && !frameworks.has('hf-trainer') && !frameworks.has('lightning')) {
      findings.push({
        range: rangeOf(anchor),
        message: `This GPU training loop runs its matmul-heavy model in fp32 without TF32: ${WHY_SHORT}.`,
        fixes: insertFix(context),
      });
    }
    findings.push(...checkLightning(context), ...checkHuggingFace(context));
    return findings;
  },
};

type Tf32Setting =
  | { state: 'absent' | 'enabled' | 'unknown' }
  | { state: 'disabled'; node: Node; fix: { title: string; edit: { range: ReturnType<typeof rangeOf>; newText: string } } | null };

/** `allow_tf32 = True|False`, `set_float32_matmul_precision(...)`, `fp32_precision = "tf32"|"ieee"`: the file's TF32 choice. */
function tf32Setting(context: AnalysisContext): Tf32Setting {
  const text = context.text;
  if (!text.includes('allow_tf32') && !text.includes('float32_matmul_precision') && !text.includes('fp32_precision')) return { state: 'absent' };
  let disabled: Tf32Setting | null = null;
  for (const call of context.calls()) {
    if (calleeMethod(call) !== 'set_float32_matmul_precision') continue;
    const argument = positionalArguments(call)[0] ?? null;
    const value = context.values().resolve(argument, { cliDefaults: false });
    if (value.kind !== 'string') return { state: 'unknown' };
    if (value.value === 'high' || value.value === 'medium') return { state: 'enabled' };
    disabled ??= { state: 'disabled', node: call, fix: argument ? { title: `Use "high" matmul precision (changes numerics: TF32)`, edit: { range: rangeOf(argument), newText: '"high"' } } : null };
  }
  for (const assignment of context.nodesOfType('assignment')) {
    const left = assignment.childForFieldName('left')?.text ?? '';
    const right = assignment.childForFieldName('right');
    if (!right) continue;
    const isAllow = /(^|\.)matmul\.allow_tf32$/.test(left);
    const isPrecision = /(^|\.)matmul\.fp32_precision$|^torch\.backends\.fp32_precision$/.test(left);
    if (!isAllow && !isPrecision) continue;
    const value = context.values().resolve(right, { cliDefaults: false });
    if (isAllow && value.kind === 'bool') {
      if (value.value) return { state: 'enabled' };
      disabled ??= { state: 'disabled', node: assignment, fix: { title: 'Set allow_tf32 = True (changes numerics: TF32)', edit: { range: rangeOf(right), newText: 'True' } } };
    } else if (isPrecision && value.kind === 'string') {
      if (value.value === 'tf32') return { state: 'enabled' };
    } else {
      return { state: 'unknown' };
    }
  }
  return disabled ?? { state: 'absent' };
}

/** More matmul layers (Linear, attention, RNNs, pretrained transformers) than convolutions. */
function isMatmulHeavy(context: AnalysisContext): boolean {
  let matmul = 0;
  let conv = 0;
  for (const call of context.calls()) {
    const method = calleeMethod(call) ?? '';
    if (MATMUL_LAYERS.test(method)) matmul++;
    else if (CONV_LAYERS.test(method)) conv++;
    else if (method === 'from_pretrained' && !NOT_A_MODEL.test(receiverOf(call)?.text ?? '')) matmul += 4;
  }
  return matmul > conv;
}

function insertFix(context: AnalysisContext): Fix[] {
  return [{ title: FIX_TITLE, preferred: false, edits: [insertAfterImports(context, SET_PRECISION, true)] }];
}

/** Lightning in full fp32 precision (the default): TF32 is still the user's call. */
function checkLightning(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const call of context.lightningTrainers()) {
    const precision = context.values().argument(call, 'precision');
    if (precision.state === 'unknown') continue;
    if (precision.state === 'present') {
      const value = context.values().resolve(precision.node, { cliDefaults: false });
      const literal = value.kind === 'number' ? String(value.value) : value.kind === 'string' ? value.value : null;
      if (literal === null || !FULL_PRECISION_LIGHTNING.has(literal)) continue;
    }
    findings.push({
      range: firstLineRange(call, (line) => context.lineText(line)),
      message: `This Lightning run trains a matmul-heavy model in fp32 without TF32: ${WHY_SHORT}.`,
      fixes: insertFix(context),
    });
  }
  return findings;
}

/** Hugging Face: tf32 absent or False while neither bf16 nor fp16 is on. */
function checkHuggingFace(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const values = context.values();
  for (const call of context.huggingFaceArguments()) {
    const stateOf = (keyword: string) => {
      const lookup = values.argument(call, keyword);
      if (lookup.state !== 'present') return lookup.state;
      const value = values.resolve(lookup.node, { cliDefaults: false });
      return value.kind === 'bool' ? (value.value ? 'true' : 'false') : 'unknown';
    };
    const tf32 = stateOf('tf32');
    if (tf32 === 'true' || tf32 === 'unknown') continue;
    if (['bf16', 'fp16', 'use_cpu', 'no_cuda'].some((keyword) => stateOf(keyword) !== 'absent' && stateOf(keyword) !== 'false')) continue;
    const edit = tf32 === 'false' ? replaceKeywordValue(call, 'tf32', 'True') : addKeywordArgument(context, call, 'tf32=True');
    findings.push({
      range: firstLineRange(call, (line) => context.lineText(line)),
      message: `${tf32 === 'false' ? 'tf32=False keeps' : 'Without tf32=True'} the Trainer's fp32 matmuls off the TF32 tensor cores: ${WHY_SHORT}.`,
      fixes: edit ? [{ title: 'Set tf32=True (changes numerics: TF32; needs Ampere or newer)', preferred: false, edits: [edit] }] : [],
    });
  }
  return findings;
}
