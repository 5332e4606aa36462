import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { lightningCliCalls, lightningCliDefaults } from '../analysis/lightningCli';
import { addKeywordArgument } from '../analysis/edits';
import type { ArgumentLookup, Value } from '../analysis/values';
import { calleeMethod, calleeName, enclosingFunction, firstLineRange, keywordValue, positionalArguments, stringLiteralValue } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

/** Names a script gives its epoch budget: `--epochs`, `NUM_EPOCHS = 20`, `def main(max_epochs=10)`. */
const EPOCH_NAME = /^(max_|num_|n_|nb_|train_|num_train_)?epochs$/i;
const DEFAULT_EPOCHS = 1000;

type Bound = 'bounded' | 'unbounded' | 'unknown';

export const unboundedTrainingLength: Rule = {
  meta: {
    id: 'GA601',
    slug: 'unbounded-training-length',
    title: 'Lightning training length left to the 1000-epoch default',
    category: 'schedule',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'A Lightning Trainer without max_epochs, max_steps or max_time does not stop when the intended budget is reached: Lightning warns "`max_epochs` was not set. Setting it to 1000 epochs." and trains on, usually far beyond what was meant unless something else stops it. Every epoch past convergence is GPU time and energy with no better model. Lightning\'s speed guide lists controlling the number of epochs as a training-time saver.',
    fix: 'Set the budget you intend: max_epochs=N, max_steps=N or max_time="DD:HH:MM:SS" on the Trainer (or in LightningCLI\'s trainer_defaults / the trainer config), and consider an EarlyStopping callback.',
    sources: [
      { title: 'Lightning Trainer — max_epochs (defaults to 1000 when max_steps is not set)', url: 'https://lightning.ai/docs/pytorch/stable/common/trainer.html#max-epochs', year: 2024 },
      { title: 'Lightning source: loops/utilities.py (the "Setting it to 1000 epochs" warning)', url: 'https://github.com/Lightning-AI/pytorch-lightning/blob/master/src/lightning/pytorch/loops/utilities.py', year: 2024 },
      { title: 'Lightning — Speed up model training: Control training epochs', url: 'https://lightning.ai/docs/pytorch/stable/advanced/speed.html', year: 2024 },
    ],
  },
  check(context) {
    if (!context.frameworks().has('lightning')) return [];
    const text = context.text;
    if (!text.includes('Trainer') && !text.includes('LightningCLI')) return [];
    // An EarlyStopping callback ends the run (the catalogue lowers this case to information), and a budget set
    // on the trainer afterwards (`trainer.fit_loop.max_epochs = n`) bounds it: stay silent on both.
    if (text.includes('EarlyStopping') || /\.(max_epochs|max_steps)\s*=[^=]/.test(text)) return [];
    const findings: RuleFinding[] = [];
    for (const trainer of context.lightningTrainers()) {
      if (calleeMethod(trainer) !== 'Trainer' || trainerBound(context, trainer) !== 'unbounded') continue;
      findings.push(trainerFinding(context, trainer));
    }
    for (const cli of lightningCliCalls(context)) {
      const finding = cliFinding(context, cli);
      if (finding) findings.push(finding);
    }
    return findings;
  },
};

function resolved(context: AnalysisContext, node: Node): Value {
  return context.values().resolve(node, { cliDefaults: false });
}

/** Does this one setting bound the run? A value chosen at launch (a variable, a CLI flag) counts as a bound. */
function boundOf(context: AnalysisContext, key: string, lookup: ArgumentLookup | { state: 'present'; node: Node }): Bound {
  if (lookup.state === 'unknown') return 'unknown';
  if (lookup.state === 'absent') return 'unbounded';
  const value = resolved(context, lookup.node);
  if (value.kind === 'none') return 'unbounded';
  if (value.kind === 'unknown') return 'bounded';
  switch (key) {
    // max_epochs=-1 asks for endless training on purpose (the catalogue's information-level case): not reported here.
    case 'max_epochs':
      return 'bounded';
    case 'max_steps':
      return value.kind === 'number' && value.value === -1 ? 'unbounded' : 'bounded';
    case 'fast_dev_run':
      return (value.kind === 'bool' && !value.value) || (value.kind === 'number' && value.value === 0) ? 'unbounded' : 'bounded';
    default:
      return 'bounded';
  }
}

const BOUND_KEYS = ['max_epochs', 'max_steps', 'max_time', 'fast_dev_run'] as const;

function combine(bounds: Bound[]): Bound {
  if (bounds.includes('bounded')) return 'bounded';
  return bounds.includes('unknown') ? 'unknown' : 'unbounded';
}

function trainerBound(context: AnalysisContext, trainer: Node): Bound {
  // Trainer(*args) or positional arguments: too unusual to read safely.
  if (positionalArguments(trainer).length > 0) return 'unknown';
  return combine(BOUND_KEYS.map((key) => boundOf(context, key, context.values().argument(trainer, key))));
}

function trainerFinding(context: AnalysisContext, trainer: Node): RuleFinding {
  const budget = epochBudget(context, trainer);
  const fixes: Fix[] = [];
  if (budget) {
    const edit = addKeywordArgument(context, trainer, `max_epochs=${budget.expression}`);
    if (edit) fixes.push({ title: `Pass max_epochs=${budget.expression} (changes the run length to the script's own budget)`, preferred: false, edits: [edit] });
  }
  const name = calleeName(trainer) ?? 'Trainer';
  return {
    range: firstLineRange(trainer, (line) => context.lineText(line)),
    message: budget
      ? `${name}(…) sets none of max_epochs, max_steps or max_time, so Lightning trains for up to ${DEFAULT_EPOCHS} epochs; the script's epoch budget, ${budget.description}, never reaches the Trainer.`
      : `${name}(…) sets none of max_epochs, max_steps or max_time, so Lightning trains for up to ${DEFAULT_EPOCHS} epochs. Set the budget you intend (no automatic fix: the file names no epoch budget).`,
    fixes,
  };
}

/** LightningCLI(trainer_defaults={...}) whose defaults bound nothing (a config file or `args=` may still do it: then silent). */
function cliFinding(context: AnalysisContext, cli: Node): RuleFinding | null {
  const cliDefaults = lightningCliDefaults(context, cli);
  if (!cliDefaults) return null;
  const { argument, keys } = cliDefaults;
  const bound = combine(BOUND_KEYS.map((key) => {
    const node = keys.get(key);
    return boundOf(context, key, node ? { state: 'present', node } : { state: 'absent' });
  }));
  if (bound !== 'unbounded') return null;
  return {
    range: firstLineRange(argument, (line) => context.lineText(line)),
    message: `trainer_defaults sets none of max_epochs, max_steps or max_time, so unless every launch passes --trainer.max_epochs (or a config that sets it), Lightning trains for up to ${DEFAULT_EPOCHS} epochs. Add the intended budget to trainer_defaults (no automatic fix: the file names no epoch budget).`,
  };
}

interface Budget {
  expression: string;
  description: string;
}

/** The epoch budget the script already names and forgot to pass: an argparse flag, a constant, a parameter. */
function epochBudget(context: AnalysisContext, trainer: Node): Budget | null {
  const fn = enclosingFunction(trainer);
  // A parameter of the enclosing function: `def main(epochs=10):`.
  for (const parameter of fn?.childForFieldName('parameters')?.namedChildren ?? []) {
    const name = parameter?.type === 'identifier' ? parameter.text : parameter?.childForFieldName('name')?.text;
    if (name && EPOCH_NAME.test(name)) return { expression: name, description: `the function's parameter ${name}` };
  }
  // A name bound before the Trainer, in its function or at module level: `EPOCHS = 20`, `num_epochs = cfg.epochs`.
  for (const assignment of context.nodesOfType('assignment')) {
    if (assignment.startIndex > trainer.startIndex) break;
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'identifier' || !EPOCH_NAME.test(left.text)) continue;
    const scope = enclosingFunction(assignment);
    if (scope && scope.id !== fn?.id) continue;
    const value = resolved(context, assignment.childForFieldName('right')!);
    const shown = value.kind === 'number' ? ` = ${value.value}` : '';
    return { expression: left.text, description: `${left.text}${shown}` };
  }
  // An argparse flag: `parser.add_argument("--epochs", default=10)` with `args = parser.parse_args()` in reach.
  const argsName = parsedArgumentsName(context, fn);
  if (!argsName) return null;
  for (const call of context.calls()) {
    if (calleeMethod(call) !== 'add_argument') continue;
    const flags = positionalArguments(call).map((node) => stringLiteralValue(node) ?? '');
    const flag = flags.find((f) => f.startsWith('--')) ?? flags[0] ?? '';
    const dest = flag.replace(/^-+/, '').replace(/-/g, '_');
    if (!EPOCH_NAME.test(dest)) continue;
    const fallback = keywordValue(call, 'default');
    const value = fallback ? resolved(context, fallback) : null;
    const shown = value?.kind === 'number' ? ` (default ${value.value})` : '';
    return { expression: `${argsName}.${dest}`, description: `the ${flag} option${shown}` };
  }
  return null;
}

/** `args` for `args = parser.parse_args()` bound in the Trainer's function or at module level, or a parameter of that name. */
function parsedArgumentsName(context: AnalysisContext, fn: Node | null): string | null {
  for (const assignment of context.nodesOfType('assignment')) {
    const right = assignment.childForFieldName('right');
    const left = assignment.childForFieldName('left');
    if (right?.type !== 'call' || calleeMethod(right) !== 'parse_args' || left?.type !== 'identifier') continue;
    const scope = enclosingFunction(assignment);
    if (!scope || scope.id === fn?.id) return left.text;
    const parameters = fn?.childForFieldName('parameters');
    if (parameters?.namedChildren.some((parameter) => parameter?.text === left.text)) return left.text;
  }
  return null;
}
