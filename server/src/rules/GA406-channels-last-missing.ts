/**
 * GA406 channels-last-missing: a convolutional network trained on the GPU with mixed precision whose
 * model is never converted to `memory_format=torch.channels_last`. The finding sits on the statement
 * that moves the model to the GPU, where the fix adds the conversion.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { insertStatementAfter } from '../analysis/edits';
import { CNN_FACTORY, groupVerdict, mixedPrecisionModels, NOT_CNN } from '../analysis/mixedPrecisionModels';
import { calleeMethod, dottedName, firstLineRange, positionalArguments, receiverOf, statementOf, stringLiteralValue } from '../analysis/syntax';
import type { Rule, RuleFinding } from './rule';

const TEXT = /Conv2d|torchvision|timm|resnet|efficientnet|convnext/i;
const EFFECT = { kind: 'slowdown' as const, factor: 'channels-last-layout', label: 'channels_last memory format' };

export const channelsLastMissing: Rule = {
  meta: {
    id: 'GA406',
    slug: 'channels-last-missing',
    title: 'CNN trained with mixed precision without channels_last',
    category: 'kernels',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'cuDNN\'s Tensor-Core convolution kernels work on NHWC (channels-last) data; with PyTorch\'s default NCHW layout every convolution transposes its input and output around the kernel. The Performance Tuning Guide says channels_last "is meant to be used in conjunction with AMP to further accelerate convolutional neural networks with Tensor Cores", and the channels-last tutorial measured 22% faster ResNet-50 training and 8–35% across torchvision models with AMP on V100. The conversion is a layout change only: results are the same up to floating-point rounding. Reported at information severity: models with few convolutions or with ops lacking channels-last kernels may gain nothing.',
    fix: 'Convert the model once after moving it to the GPU: model = model.to(memory_format=torch.channels_last) (inputs may be converted the same way; convolutions pick the layout from their weights).',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Use channels_last memory format for computer vision models', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'PyTorch tutorial — Channels Last Memory Format (performance gains)', url: 'https://pytorch.org/tutorials/intermediate/memory_format_tutorial.html', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || context.text.includes('channels_last') || !context.usesTorch()) return [];
    if (!context.gpu().present || !isConvolutional(context)) return [];
    const move = mixedPrecisionMove(context);
    if (!move) return [];
    const statement = statementOf(move.call);
    const torch = context.imports().binds('torch');
    const finding: RuleFinding = {
      range: firstLineRange(move.call, (line) => context.lineText(line)),
      message: `\`${move.model}\` is a convolutional network trained with mixed precision in the default NCHW layout: every convolution transposes its data around the Tensor-Core kernels. Convert it with ${move.model} = ${move.model}.to(memory_format=torch.channels_last) (PyTorch measured up to 8–35% faster training of torchvision models with AMP).`,
      fixes: torch
        ? [{ title: `Add ${move.model} = ${move.model}.to(memory_format=torch.channels_last)`, preferred: true, edits: [insertStatementAfter(context, statement, `${move.model} = ${move.model}.to(memory_format=torch.channels_last)`)] }]
        : [],
      effect: EFFECT,
    };
    return [finding];
  },
};

function isConvolutional(context: AnalysisContext): boolean {
  for (const call of context.calls()) {
    const name = context.qualifiedCallee(call) ?? '';
    if (/(^|\.)Conv2d$/.test(name) && /^torch\.nn\.|^nn\.|^Conv2d$/.test(name)) return true;
    if (CNN_FACTORY.test(name) && /torchvision|models|segmentation_models/.test(name)) return true;
    if (/^timm\.create_model$/.test(name)) {
      const model = positionalArguments(call)[0];
      const id = model ? stringLiteralValue(model) : null;
      if (id !== null && !NOT_CNN.test(id)) return true;
    }
  }
  return false;
}

/**
 * The move of the CNN that is trained in mixed precision. With torch's own autocast (or a half-precision cast) the
 * evidence names its model: a file that trains an fp32 CNN and a bf16 one reports the bf16 one, and an autocast that
 * is off unless a flag turns it on (`enabled=args.amp`, store_true) is not evidence — the default run is fp32 and
 * the catalogue's premise, AMP in use, does not hold. A framework's precision setting (Lightning, Accelerate, Hugging
 * Face) covers the whole file's model.
 */
function mixedPrecisionMove(context: AnalysisContext): { call: Node; model: string } | null {
  const amp = mixedPrecisionModels(context);
  if (!amp.torchLevel) {
    const precision = context.runFacts().precision.value;
    return precision === 'bf16' || precision === 'fp16' ? modelMove(context, context.modelNames()) : null;
  }
  const candidates: { call: Node; model: string }[] = [];
  for (const group of amp.trained) {
    const verdict = groupVerdict(context, group);
    // A model built out of sight (a parameter, an imported factory) is taken as the file's CNN, as before.
    if (verdict === 'not-conv') continue;
    const move = modelMove(context, group);
    if (move) candidates.push(move);
  }
  candidates.sort((a, b) => a.call.startIndex - b.call.startIndex);
  return candidates[0] ?? null;
}

/** The call that moves one of `models` to the GPU: `model.cuda()`, `model.to(device)`, `model = Net().to(device)`. */
function modelMove(context: AnalysisContext, models: ReadonlySet<string>): { call: Node; model: string } | null {
  for (const call of context.calls()) {
    const method = calleeMethod(call);
    if (method !== 'to' && method !== 'cuda') continue;
    const receiver = receiverOf(call);
    const receiverName = receiver ? dottedName(receiver) : null;
    if (receiverName && models.has(receiverName) && call.parent?.type === 'expression_statement') return { call, model: receiverName };
    if (receiverName && models.has(receiverName)) {
      const assignment = call.parent;
      const left = assignment?.type === 'assignment' ? dottedName(assignment.childForFieldName('left')) : null;
      if (left) return { call, model: left };
    }
    // `model = Net().to(device)` / `model = resnet50().cuda()`
    const assignment = call.parent;
    if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')?.id !== call.id) continue;
    const left = dottedName(assignment.childForFieldName('left'));
    if (left && models.has(left) && receiver?.type === 'call') return { call, model: left };
  }
  return null;
}
