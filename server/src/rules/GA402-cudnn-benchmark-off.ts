import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument, insertAfterImports } from '../analysis/edits';
import { calleeMethod, firstLineRange, keywordValue, positionalArguments, rangeOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const SET_BENCHMARK = 'torch.backends.cudnn.benchmark = True';
const CNN_TEXT = /Conv[123]d|resnet|resnext|vgg|densenet|efficientnet|mobilenet|convnext|regnet|inception|alexnet|squeezenet|shufflenet|mnasnet|googlenet/i;
const CONV_LAYERS = /^(Conv[123]d|LazyConv[123]d|resnet\d*|resnext\w*|wide_resnet\w*|vgg\w*|densenet\w*|efficientnet\w*|mobilenet\w*|convnext\w*|regnet\w*|inception\w*|alexnet|squeezenet\w*|shufflenet\w*|mnasnet\w*|googlenet)$/;
/** Fixed-size inputs: crops and resizes to a literal size, and fixed-resolution datasets. */
const FIXED_SIZE_TRANSFORMS = /^(RandomResizedCrop|CenterCrop|RandomCrop|Resize)$/;
const FIXED_SIZE_TEXT = /Crop\(|Resize\(|MNIST|CIFAR|SVHN|STL10/;
/** Any call name the CNN check looks at, to classify a call with one regex test. */
const CANDIDATE = /^(Conv|LazyConv|resne|wide_|vgg|dense|efficient|mobile|convnext|regnet|incep|alexnet|squeeze|shuffle|mnas|google|create_model|Random|Center|Resize|MNIST|FashionMNIST|KMNIST|EMNIST|QMNIST|CIFAR|SVHN|STL10)/;
const FIXED_SIZE_DATASETS = /^(MNIST|FashionMNIST|KMNIST|EMNIST|QMNIST|CIFAR10|CIFAR100|SVHN|STL10)$/;
/** Determinism is requested: benchmark mode would pick kernels non-deterministically. */
const DETERMINISM = /cudnn\.deterministic\s*=\s*True|use_deterministic_algorithms\(\s*True|deterministic\s*=\s*True/;
const FIX_TITLE = `Set ${SET_BENCHMARK} (kernel choice may differ between runs)`;
const WHY_SHORT = 'the cuDNN autotuner would time the convolution algorithms once per input shape and keep the fastest';

export const cudnnBenchmarkOff: Rule = {
  meta: {
    id: 'GA402',
    slug: 'cudnn-benchmark-off',
    title: 'Fixed-shape CNN training without the cuDNN autotuner',
    category: 'kernels',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: false,
    why:
      'With torch.backends.cudnn.benchmark = True cuDNN times the available convolution algorithms for each new input shape once and uses the fastest for the rest of the run; with it off (the default) a heuristic picks one that is often slower. For a CNN fed fixed-size images every step benefits. PyTorch\'s Tuning Guide lists it under "Enable cuDNN auto-tuner"; Lightning exposes it as Trainer(benchmark=True). Opt-in: with input shapes that vary from batch to batch (multi-scale detection, variable-length inputs) the autotuner re-runs for every new shape and costs time, and benchmark mode is non-deterministic.',
    fix: 'Set torch.backends.cudnn.benchmark = True before training (Lightning: Trainer(benchmark=True)); leave it off where input shapes vary or determinism is required.',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Enable cuDNN auto-tuner', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'Lightning Trainer — benchmark', url: 'https://lightning.ai/docs/pytorch/stable/common/trainer.html#benchmark', year: 2024 },
    ],
  },
  check(context) {
    const text = context.text;
    if (!CNN_TEXT.test(text) || !FIXED_SIZE_TEXT.test(text) || DETERMINISM.test(text)) return [];
    if (!context.usesTorch() || !context.gpu().present) return [];
    const setting = benchmarkSetting(context);
    if (setting === 'enabled' || setting === 'unknown') return [];
    if (!isFixedShapeCnn(context)) return [];
    const findings: RuleFinding[] = [];
    if (setting) {
      findings.push({
        range: firstLineRange(setting, (line) => context.lineText(line)),
        message: `cudnn.benchmark is turned off for a fixed-input-size CNN: ${WHY_SHORT}.`,
        fixes: [{ title: FIX_TITLE, preferred: false, edits: [{ range: rangeOf(setting.childForFieldName('right')!), newText: 'True' }] }],
      });
      return findings;
    }
    const trainers = context.lightningTrainers();
    if (trainers.length > 0) {
      for (const call of trainers) {
        if (keywordValue(call, 'benchmark') || keywordValue(call, 'deterministic')) continue;
        const edit = addKeywordArgument(context, call, 'benchmark=True');
        findings.push({
          range: firstLineRange(call, (line) => context.lineText(line)),
          message: `This Lightning run trains a CNN on fixed-size inputs without benchmark=True: ${WHY_SHORT}.`,
          fixes: edit ? [{ title: 'Set benchmark=True (kernel choice may differ between runs)', preferred: false, edits: [edit] }] : [],
        });
      }
      return findings;
    }
    const anchor = context.stepLoops()[0]?.backwardCalls[0];
    if (!anchor) return findings;
    findings.push({
      range: rangeOf(anchor),
      message: `This GPU training loop runs a CNN on fixed-size inputs without torch.backends.cudnn.benchmark = True: ${WHY_SHORT}.`,
      fixes: insertFix(context),
    });
    return findings;
  },
};

function insertFix(context: AnalysisContext): Fix[] {
  return [{ title: FIX_TITLE, preferred: false, edits: [insertAfterImports(context, SET_BENCHMARK, true)] }];
}

/** 'enabled', 'unknown' (set from a variable), the `= False` assignment node, or null when never set. */
function benchmarkSetting(context: AnalysisContext): 'enabled' | 'unknown' | Node | null {
  if (!context.text.includes('benchmark')) return null;
  let disabled: Node | null = null;
  for (const assignment of context.nodesOfType('assignment')) {
    const left = assignment.childForFieldName('left')?.text ?? '';
    if (!/(^|\.)cudnn\.benchmark$/.test(left)) continue;
    const value = context.values().resolve(assignment.childForFieldName('right'), { cliDefaults: false });
    if (value.kind !== 'bool') return 'unknown';
    if (value.value) return 'enabled';
    disabled ??= assignment;
  }
  return disabled;
}

/** Convolution layers or a torchvision/timm CNN, fed crops/resizes to a literal size or a fixed-resolution dataset. */
function isFixedShapeCnn(context: AnalysisContext): boolean {
  let cnn = false;
  let fixedSize = false;
  for (const call of context.calls()) {
    const method = calleeMethod(call) ?? '';
    if (!CANDIDATE.test(method)) continue;
    if (CONV_LAYERS.test(method)) cnn = true;
    else if (method === 'create_model' && CNN_TEXT.test(positionalArguments(call)[0]?.text ?? '')) cnn = true;
    else if (FIXED_SIZE_DATASETS.test(method)) fixedSize = true;
    else if (FIXED_SIZE_TRANSFORMS.test(method)) {
      const size = keywordValue(call, 'size') ?? positionalArguments(call)[0];
      // `Resize(256)` scales the shorter side only (the shape follows the aspect ratio); a pair or a crop is fixed.
      const pattern = method === 'Resize' ? /^[([]\s*\d+\s*,\s*\d+\s*[)\]]$/ : /^(\d+|[([]\s*\d+\s*,\s*\d+\s*[)\]])$/;
      if (size && pattern.test(size.text)) fixedSize = true;
    }
    if (cnn && fixedSize) return true;
  }
  return false;
}
