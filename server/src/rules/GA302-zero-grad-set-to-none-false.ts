import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { removeKeywordArgument } from '../analysis/edits';
import { calleeMethod, descendantsOfType, enclosingClass, enclosingFunction, firstLineRange, keywordValue, positionalArguments, rangeOf } from '../analysis/syntax';
import type { Rule, RuleFinding } from './rule';

export const zeroGradSetToNoneFalse: Rule = {
  meta: {
    id: 'GA302',
    slug: 'zero-grad-set-to-none-false',
    title: 'zero_grad(set_to_none=False) fills every gradient with zeros',
    category: 'training-loop',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'set_to_none=False launches a memset for every parameter\'s gradient each step and makes the next backward accumulate into it instead of assigning. Setting gradients to None has a lower memory footprint and can modestly improve performance; it is the default since PyTorch 2.0.',
    fix: 'Call zero_grad() without the argument (or with set_to_none=True).',
    sources: [
      { title: 'torch.optim.Optimizer.zero_grad', url: 'https://pytorch.org/docs/stable/generated/torch.optim.Optimizer.zero_grad.html', year: 2024 },
      { title: 'PyTorch Performance Tuning Guide', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
    ],
  },
  check(context) {
    const findings: RuleFinding[] = [];
    for (const call of context.calls()) {
      if (calleeMethod(call) !== 'zero_grad') continue;
      // set_to_none is the first parameter of both Optimizer.zero_grad and Module.zero_grad.
      const keyword = keywordValue(call, 'set_to_none');
      const setToNone = keyword ?? positionalArguments(call)[0] ?? null;
      if (setToNone?.type !== 'false') continue;
      if (readsZeroedGradients(context, call)) continue;
      const edit = keyword ? removeKeywordArgument(call, 'set_to_none') : { range: rangeOf(setToNone), newText: '' };
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: 'zero_grad(set_to_none=False) writes zeros into every gradient each step; let gradients be None instead.',
        fixes: edit
          ? [{ title: 'Remove set_to_none=False (gradients become None; some optimizers then skip those parameters)', preferred: false, edits: [edit] }]
          : [],
      });
    }
    return findings;
  },
};

/** In-place arithmetic on `.grad` in the same function or class relies on zero-filled gradients. */
function readsZeroedGradients(context: AnalysisContext, call: Node): boolean {
  const scope = enclosingClass(call) ?? enclosingFunction(call) ?? context.root;
  for (const assignment of descendantsOfType(scope, 'augmented_assignment')) {
    const left = assignment.childForFieldName('left');
    if (left && /(^|\.)grad(\b|\[)/.test(left.text)) return true;
  }
  return context.callsWithin(scope).some((inner) => {
    const method = calleeMethod(inner) ?? '';
    return method.endsWith('_') && /\.grad\.[a-z_]+_$/.test(inner.childForFieldName('function')?.text ?? '');
  });
}
