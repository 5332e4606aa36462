import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { lightningCliCalls } from '../analysis/lightningCli';
import { ancestor, calleeName, dictEntryOf, firstLineRange, keywordValue, positionalArguments } from '../analysis/syntax';
import type { Rule, RuleFinding } from './rule';

const TEXT = /use_deterministic_algorithms|cudnn\.deterministic|cudnn\.benchmark|deterministic\s*=|["']deterministic["']/;
const WHY_SHORT = 'deterministic kernels are often slower than the default ones, for every step of the run';

/** An `if` (other than the `__main__` guard) or conditional expression around the setting: it is already gated by the script. */
function isConditional(node: Node): boolean {
  return (
    ancestor(node, (candidate) =>
      (candidate.type === 'if_statement' && !/__name__/.test(candidate.childForFieldName('condition')?.text ?? '')) ||
      candidate.type === 'conditional_expression',
    ) !== null
  );
}

/**
 * The setting lives in a helper (`def make_deterministic(): ...`) whose every call in this file sits under a
 * condition (`if args.deterministic: make_deterministic()`): the script already gates it.
 */
function isInConditionallyCalledHelper(context: AnalysisContext, node: Node): boolean {
  const fn = ancestor(node, (candidate) => candidate.type === 'function_definition');
  const name = fn?.childForFieldName('name')?.text;
  if (!name) return false;
  const callers = context.calls().filter((call) => calleeName(call) === name || calleeName(call)?.endsWith(`.${name}`));
  return callers.length > 0 && callers.every(isConditional);
}

export const deterministicAlgorithms: Rule = {
  meta: {
    id: 'GA308',
    slug: 'deterministic-algorithms',
    title: 'Deterministic kernels forced unconditionally',
    category: 'kernels',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'torch.use_deterministic_algorithms(True), torch.backends.cudnn.deterministic = True and cudnn.benchmark = False (and Lightning\'s Trainer(deterministic=True)) make PyTorch pick reproducible kernels instead of the fastest ones. PyTorch\'s reproducibility notes say "Deterministic operations are often slower than nondeterministic operations, so single-run performance may decrease", and the pytorch/examples ImageNet script warns that deterministic cuDNN "can slow down your training considerably". Set unconditionally, every production run pays for a property that only debugging and paper reproduction need. Reported at information severity: some projects do require bit-exact reproducibility.',
    fix: 'Put the settings behind a flag that is off by default (e.g. `if args.deterministic:`), so that only runs that need bit-exact reproducibility pay for it.',
    sources: [
      { title: 'PyTorch — Reproducibility notes', url: 'https://pytorch.org/docs/stable/notes/randomness.html', year: 2024 },
      { title: 'pytorch/examples — imagenet/main.py (deterministic cuDNN warning)', url: 'https://github.com/pytorch/examples/blob/main/imagenet/main.py', year: 2024 },
      { title: 'Lightning Trainer — deterministic', url: 'https://lightning.ai/docs/pytorch/stable/common/trainer.html#deterministic', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || !context.usesTorch() && !context.frameworks().has('lightning')) return [];
    const findings: RuleFinding[] = [];
    const literal = (node: Node | null | undefined) => {
      const value = node ? context.values().resolve(node, { cliDefaults: false }) : null;
      return value?.kind === 'bool' ? value.value : null;
    };
    const report = (node: Node, message: string) => findings.push({ range: firstLineRange(node, (line) => context.lineText(line)), message, fixes: [] });

    for (const call of context.calls()) {
      const name = calleeName(call) ?? '';
      if (!/(^|\.)use_deterministic_algorithms$/.test(name)) continue;
      const mode = keywordValue(call, 'mode') ?? positionalArguments(call)[0];
      if (literal(mode) !== true || isConditional(call) || isInConditionallyCalledHelper(context, call)) continue;
      report(call, `torch.use_deterministic_algorithms(True) is set for every run: ${WHY_SHORT}. Gate it behind a flag that is off by default unless bit-exact reproducibility is required.`);
    }
    for (const assignment of context.nodesOfType('assignment')) {
      const left = assignment.childForFieldName('left')?.text ?? '';
      const match = /(^|\.)cudnn\.(deterministic|benchmark)$/.exec(left);
      if (!match) continue;
      const value = literal(assignment.childForFieldName('right'));
      const forcing = match[2] === 'deterministic' ? value === true : value === false;
      if (!forcing || isConditional(assignment) || isInConditionallyCalledHelper(context, assignment)) continue;
      const setting = match[2] === 'deterministic' ? 'cudnn.deterministic = True' : 'cudnn.benchmark = False';
      report(assignment, `${setting} is set for every run: ${WHY_SHORT}. Gate it behind a flag that is off by default unless bit-exact reproducibility is required.`);
    }
    findings.push(...checkLightning(context, report));
    return findings;
  },
};

function checkLightning(context: AnalysisContext, report: (node: Node, message: string) => void): RuleFinding[] {
  if (!context.frameworks().has('lightning')) return [];
  for (const call of context.lightningTrainers()) {
    const node = keywordValue(call, 'deterministic');
    if (!node || isConditional(node)) continue;
    const value = context.values().resolve(node, { cliDefaults: false });
    const forced = (value.kind === 'bool' && value.value) || (value.kind === 'string' && value.value === 'warn');
    if (!forced) continue;
    report(call, `Trainer(deterministic=${node.text}) forces deterministic algorithms for every run: ${WHY_SHORT}. Make it a flag that is off by default unless bit-exact reproducibility is required.`);
  }
  for (const cli of lightningCliCalls(context)) {
    const node = cliDeterministic(context, cli);
    if (!node || isConditional(node)) continue;
    const value = context.values().resolve(node, { cliDefaults: false });
    const forced = (value.kind === 'bool' && value.value) || (value.kind === 'string' && value.value === 'warn');
    if (!forced) continue;
    // On the dict entry, where the fix is made: `"deterministic": True,` (or the keyword of `dict(deterministic=True)`).
    report(dictEntryOf(node), `LightningCLI's trainer_defaults set deterministic=${node.text}, so every run that does not pass --trainer.deterministic=false uses deterministic algorithms: ${WHY_SHORT}. Leave it out of the defaults (pass it on the command line when bit-exact reproducibility is required).`);
  }
  return [];
}

/** The `deterministic` entry of `LightningCLI(trainer_defaults={...})`, when the defaults can be read. */
function cliDeterministic(context: AnalysisContext, cli: Node): Node | null {
  const defaults = keywordValue(cli, 'trainer_defaults');
  if (!defaults) return null;
  return context.values().dictionaryKeys(defaults)?.get('deterministic') ?? null;
}
