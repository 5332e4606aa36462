import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { ddpCalls } from '../analysis/distributed';
import { replaceKeywordValue } from '../analysis/edits';
import { calleeMethod, firstLineRange, keywordArgument, keywordValue, rangeOf, stringLiteralValue } from '../analysis/syntax';
import type { Rule, RuleFinding } from './rule';

const WHY_SHORT = 'DDP then traverses the autograd graph after every forward pass to find parameters that got no gradient';
const FIX_TITLE = 'Set find_unused_parameters=False (DDP raises if the model really leaves parameters unused)';

export const ddpFindUnusedParameters: Rule = {
  meta: {
    id: 'GA504',
    slug: 'ddp-find-unused-parameters',
    title: 'DistributedDataParallel with find_unused_parameters=True',
    category: 'distributed',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'With find_unused_parameters=True, DistributedDataParallel walks the autograd graph from the outputs after every forward pass to mark parameters that will receive no gradient, and cannot start gradient buckets early for them. PyTorch\'s own runtime warning says the flag "results in an extra traversal of the autograd graph every iteration, which can adversely affect performance". It is only needed for models that really skip parameters (conditional branches, frozen heads), so it is reported at information severity.',
    fix: 'Set find_unused_parameters=False (the default); if DDP then raises about unused parameters, freeze them (requires_grad=False) or keep the flag. Hugging Face: ddp_find_unused_parameters=False; Lightning: strategy="ddp".',
    sources: [
      { title: 'pytorch/pytorch PR #50133 — warn when find_unused_parameters=True finds none', url: 'https://github.com/pytorch/pytorch/pull/50133', year: 2021 },
      { title: 'DistributedDataParallel documentation', url: 'https://pytorch.org/docs/stable/generated/torch.nn.parallel.DistributedDataParallel.html', year: 2024 },
      { title: 'PyTorch Performance Tuning Guide — distributed training', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
    ],
  },
  check(context) {
    if (!context.text.includes('find_unused_parameters')) return [];
    const findings: RuleFinding[] = [];
    const isTrue = (call: Node, keyword: string) => {
      const lookup = context.values().argument(call, keyword);
      if (lookup.state !== 'present') return false;
      // A command-line flag is the user's choice at launch, whatever its default.
      const value = context.values().resolve(lookup.node, { cliDefaults: false });
      return value.kind === 'bool' && value.value;
    };
    const report = (call: Node, keyword: string, subject: string) => {
      const edit = keywordArgument(call, keyword) ? replaceKeywordValue(call, keyword, 'False') : null;
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: `${subject} sets ${keyword}=True: ${WHY_SHORT}. Turn it off unless the model really leaves parameters unused.`,
        fixes: edit ? [{ title: FIX_TITLE.replace('find_unused_parameters', keyword), preferred: false, edits: [edit] }] : [],
      });
    };
    for (const call of ddpCalls(context)) {
      if (isTrue(call, 'find_unused_parameters')) report(call, 'find_unused_parameters', 'DistributedDataParallel');
    }
    for (const call of context.huggingFaceArguments()) {
      if (isTrue(call, 'ddp_find_unused_parameters')) report(call, 'ddp_find_unused_parameters', 'TrainingArguments');
    }
    findings.push(...checkLightning(context, isTrue, report));
    return findings;
  },
};

/** Lightning: `strategy="ddp_find_unused_parameters_true"` on the Trainer, or `DDPStrategy(find_unused_parameters=True)`. */
function checkLightning(
  context: AnalysisContext,
  isTrue: (call: Node, keyword: string) => boolean,
  report: (call: Node, keyword: string, subject: string) => void,
): RuleFinding[] {
  const findings: RuleFinding[] = [];
  if (!context.frameworks().has('lightning')) return findings;
  for (const call of context.lightningTrainers()) {
    const strategy = keywordValue(call, 'strategy');
    const value = strategy ? stringLiteralValue(strategy) : null;
    if (!strategy || !value || !/^ddp(_spawn|_fork|_notebook)?_find_unused_parameters_true$/.test(value)) continue;
    const replacement = `"${value.replace(/_find_unused_parameters_true$/, '')}"`;
    findings.push({
      range: firstLineRange(call, (line) => context.lineText(line)),
      message: `strategy="${value}" makes DDP look for unused parameters: ${WHY_SHORT}. Use strategy=${replacement} unless the model really leaves parameters unused.`,
      fixes: [{ title: `Use strategy=${replacement} (DDP raises if the model really leaves parameters unused)`, preferred: false, edits: [{ range: rangeOf(strategy), newText: replacement }] }],
    });
  }
  for (const call of context.calls()) {
    if (calleeMethod(call) === 'DDPStrategy' && isTrue(call, 'find_unused_parameters')) report(call, 'find_unused_parameters', 'DDPStrategy');
  }
  return findings;
}
