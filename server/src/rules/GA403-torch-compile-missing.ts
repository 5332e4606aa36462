import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument } from '../analysis/edits';
import { calleeMethod, enclosingFunction, firstLineRange, indentationOf, keywordValue, rangeOf, statementOf } from '../analysis/syntax';
import { isInsideLoop } from '../analysis/trainingLoop';
import type { Fix, Rule, RuleFinding } from './rule';

const COMPILED = /torch\.compile|\.compile\(|torch_compile|jit\.script|jit\.trace|dynamo/;
const WHY_SHORT = 'torch.compile fuses operations into fewer, faster kernels';

export const torchCompileMissing: Rule = {
  meta: {
    id: 'GA403',
    slug: 'torch-compile-missing',
    title: 'PyTorch 2 training without torch.compile',
    category: 'kernels',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: false,
    why:
      'torch.compile (PyTorch 2) traces the model and generates fused kernels with the inductor backend: fewer kernel launches and fewer round trips of activations through GPU memory. The PyTorch 2.0 documentation reports "30% to 2x speedups and 10% memory compression" on real models; Hugging Face exposes it as TrainingArguments(torch_compile=True). Opt-in: compilation takes minutes that short runs do not win back, dynamic shapes cause recompilation, some models and platforms are unsupported, and measured slow-downs exist (OpenMMLab\'s mmaction2 notes a TSN config going from 0.50 to 0.61 s/iter when compiled).',
    fix: 'Compile the model once after moving it to the device: `model = torch.compile(model)` (before or after wrapping in DDP); Hugging Face: torch_compile=True. Measure a few hundred steps with and without.',
    sources: [
      { title: 'PyTorch — torch.compile (pytorch/pytorch docs/source/compile/index.rst)', url: 'https://pytorch.org/docs/stable/torch.compiler.html', year: 2023 },
      { title: 'Hugging Face — torch.compile', url: 'https://huggingface.co/docs/transformers/en/torch_compile', year: 2024 },
      { title: 'open-mmlab/mmaction2 — PyTorch 2.0 notes', url: 'https://github.com/open-mmlab/mmaction2/blob/main/docs/en/notes/pytorch2.0.md', year: 2023 },
    ],
  },
  check(context) {
    if (COMPILED.test(context.text)) return [];
    const findings: RuleFinding[] = [];
    for (const call of context.huggingFaceArguments()) {
      if (context.values().argument(call, 'torch_compile').state !== 'absent') continue;
      const cpu = ['use_cpu', 'no_cuda'].some((key) => keywordValue(call, key) !== null);
      if (cpu) continue;
      const edit = addKeywordArgument(context, call, 'torch_compile=True');
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: `This Hugging Face run does not set torch_compile=True: ${WHY_SHORT} (up to 30%–2x faster training per the PyTorch docs; compilation time is paid once).`,
        fixes: edit ? [{ title: 'Set torch_compile=True (compiles the model at start; measure the speed-up)', preferred: false, edits: [edit] }] : [],
      });
    }
    if (findings.length > 0 || context.frameworks().has('hf-trainer') || !context.gpu().present) return findings;
    for (const call of context.lightningTrainers()) {
      if (/Fabric$/.test(call.childForFieldName('function')?.text ?? '')) continue;
      if (keywordValue(call, 'accelerator')?.text.includes('cpu')) continue;
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: `This Lightning run never compiles its model: ${WHY_SHORT} (up to 30%–2x faster training per the PyTorch docs). Compile it before trainer.fit: model = torch.compile(model).`,
        fixes: [],
      });
    }
    if (findings.length > 0 || context.frameworks().has('lightning') || !context.usesTorch()) return findings;
    const loop = context.stepLoops()[0];
    const backward = loop?.backwardCalls[0];
    if (!loop || !backward) return findings;
    findings.push({
      range: rangeOf(backward),
      message: `This GPU training loop runs an uncompiled model: ${WHY_SHORT} (up to 30%–2x faster training per the PyTorch docs; compilation time is paid once).`,
      fixes: compileFix(context, loop.loop),
    });
    return findings;
  },
};

/** `model = torch.compile(model)` after the statement that moves the model to the device (`model = model.to(device)` / `.cuda()`). */
function compileFix(context: AnalysisContext, loop: Node): Fix[] {
  const scope = enclosingFunction(loop);
  for (const assignment of context.nodesOfType('assignment')) {
    if (assignment.startIndex > loop.startIndex) break;
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (left?.type !== 'identifier' || right?.type !== 'call' || !context.modelNames().has(left.text)) continue;
    const method = calleeMethod(right);
    if (method !== 'to' && method !== 'cuda') continue;
    if (enclosingFunction(assignment)?.id !== scope?.id || isInsideLoop(assignment)) continue;
    const statement = statementOf(assignment);
    if (statement.parent?.type !== 'block' && statement.parent?.type !== 'module') continue;
    const row = statement.endPosition.row;
    const newline = context.newline();
    const indentation = indentationOf(context.lineText(statement.startPosition.row));
    return [{
      title: `Compile the model: ${left.text} = torch.compile(${left.text}) (compilation takes time at start; measure the speed-up)`,
      preferred: false,
      edits: [{ range: { start: { line: row, character: context.lineText(row).length }, end: { line: row, character: context.lineText(row).length } }, newText: `${newline}${indentation}${left.text} = torch.compile(${left.text})` }],
    }];
  }
  return [];
}
