import type { Node } from 'web-tree-sitter';
import type { TextEdit } from 'vscode-languageserver-types';
import { replaceKeywordValue } from '../analysis/edits';
import { calleeMethod, calleeOf, firstLineRange, keywordValue, positionalArguments, rangeOf, receiverOf, stringLiteralValue } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const FLOAT64 = /^torch\.(float64|double)$/;
const DOUBLE_TENSOR_TYPE = /^(torch\.(cuda\.)?DoubleTensor|["']torch\.(cuda\.)?DoubleTensor["'])$/;
const MODEL_NAME = /^(self\.)?(model|net|network|module|encoder|decoder|generator|discriminator|classifier)\w*$/i;
/** Numerics that genuinely need fp64: gradient checking, L-BFGS on ill-conditioned problems, scientific solvers. */
const NEEDS_FP64 = /gradcheck|LBFGS|torchdiffeq|odeint/;
const FLOAT64_TEXT = /\.double\(|float64|DoubleTensor|precision\s*=\s*["']?64/;
const FIX_SUFFIX = '(changes numerics: float32)';

export const fp64Training: Rule = {
  meta: {
    id: 'GA103',
    slug: 'fp64-training',
    title: 'Model trained in float64',
    category: 'precision',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Double precision doubles the memory and bandwidth of weights, gradients, optimizer states and activations, and most GPUs run fp64 arithmetic at a small fraction of their fp32 rate (consumer and many data-center cards at 1/32–1/64). Lightning\'s precision guide: "doubling the precision from 32 to 64 bit also doubles the memory requirements… It is recommended using single precision for better speed." Reported at information severity: physics, gradient checks and ill-conditioned problems can genuinely need fp64, and files using gradcheck or L-BFGS are not flagged.',
    fix: 'Train in float32 (replace .double() with .float(), torch.float64 with torch.float32, precision=64 with "32-true") — or in bf16 mixed precision.',
    sources: [
      { title: 'Lightning — N-bit precision (64-bit precision)', url: 'https://lightning.ai/docs/pytorch/stable/common/precision_basic.html', year: 2024 },
      { title: 'NVIDIA H100 Tensor Core GPU datasheet (FP64 vs FP32 throughput)', url: 'https://www.nvidia.com/en-us/data-center/h100/', year: 2023 },
    ],
  },
  check(context) {
    if (!FLOAT64_TEXT.test(context.text) || NEEDS_FP64.test(context.text)) return [];
    if (!context.usesTorch() && !context.frameworks().has('lightning')) return [];
    const trains = context.stepLoops().length > 0 || context.lightningTrainers().length > 0;
    if (!trains || !context.gpu().present) return [];
    const findings: RuleFinding[] = [];
    const report = (node: Node, message: string, edit: TextEdit | null, title: string) => {
      if (context.isDebugGated(node)) return;
      const fixes: Fix[] = edit ? [{ title: `${title} ${FIX_SUFFIX}`, preferred: false, edits: [edit] }] : [];
      findings.push({ range: firstLineRange(node, (line) => context.lineText(line)), message, fixes });
    };
    const models = context.modelNames();
    for (const call of context.calls()) {
      const method = calleeMethod(call);
      if (method === 'double' && positionalArguments(call).length === 0 && isModel(call, models)) {
        const attribute = calleeOf(call)?.childForFieldName('attribute') ?? null;
        report(call, 'The model is cast to float64 with .double(): weights, gradients, optimizer states and activations take twice the memory and most GPUs run fp64 many times slower than fp32.',
          attribute ? { range: rangeOf(attribute), newText: 'float' } : null, 'Replace .double() with .float()');
      } else if (method === 'to' && isModel(call, models)) {
        const dtype = keywordValue(call, 'dtype') ?? positionalArguments(call).find((arg) => FLOAT64.test(arg.text)) ?? null;
        if (!dtype || !FLOAT64.test(dtype.text)) continue;
        report(call, `The model is moved to ${dtype.text}: weights, gradients, optimizer states and activations take twice the memory and most GPUs run fp64 many times slower than fp32.`,
          { range: rangeOf(dtype), newText: 'torch.float32' }, `Use torch.float32 instead of ${dtype.text}`);
      } else if (method === 'set_default_dtype') {
        const dtype = positionalArguments(call)[0] ?? keywordValue(call, 'd');
        if (!dtype || !FLOAT64.test(dtype.text)) continue;
        report(call, `torch.set_default_dtype(${dtype.text}) makes every new floating-point tensor and parameter float64: twice the memory, and many times slower on most GPUs.`,
          { range: rangeOf(dtype), newText: 'torch.float32' }, 'Set the default dtype to torch.float32');
      } else if (method === 'set_default_tensor_type') {
        const type = positionalArguments(call)[0];
        if (!type || !DOUBLE_TENSOR_TYPE.test(type.text)) continue;
        report(call, 'set_default_tensor_type(DoubleTensor) makes every new floating-point tensor and parameter float64: twice the memory, and many times slower on most GPUs.',
          { range: rangeOf(type), newText: type.text.replace('DoubleTensor', 'FloatTensor') }, 'Use FloatTensor as the default tensor type');
      }
    }
    for (const call of context.lightningTrainers()) {
      const precision = keywordValue(call, 'precision');
      if (!precision) continue;
      const value = precision.type === 'integer' ? precision.text : stringLiteralValue(precision);
      if (value !== '64' && value !== '64-true') continue;
      report(call, `precision=${precision.text} trains in float64: twice the memory of fp32, and many times slower on most GPUs. Lightning recommends single precision for speed.`,
        replaceKeywordValue(call, 'precision', '"32-true"'), 'Set precision="32-true"');
    }
    return findings;
  },
};

/** `model.double()`, `Net().double()` bound to the model, `self.model.to(torch.float64)`. */
function isModel(call: Node, models: ReadonlySet<string>): boolean {
  const receiver = receiverOf(call);
  if (!receiver) return false;
  if (models.has(receiver.text) || MODEL_NAME.test(receiver.text)) return true;
  // `model = Net().double()` / `model = Net().double().to(device)`: the assignment names the model.
  let outer: Node = call;
  while (outer.parent && (outer.parent.type === 'attribute' || outer.parent.type === 'call')) outer = outer.parent;
  const assignment = outer.parent?.type === 'assignment' ? outer.parent : null;
  const target = assignment?.childForFieldName('left')?.text ?? '';
  return receiver.type === 'call' && (models.has(target) || MODEL_NAME.test(target));
}
