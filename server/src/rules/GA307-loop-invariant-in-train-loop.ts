import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { calleeName, descendantsOfType, firstLineRange, LOOP_TYPES } from '../analysis/syntax';
import type { Rule, RuleFinding } from './rule';

const TEXT = /DataLoader|optim\.|from_pretrained|torch\.load|load_dataset/;
const OPTIMIZERS = /^(torch\.)?optim\.(SGD|Adam|AdamW|Adagrad|Adadelta|Adamax|NAdam|RAdam|RMSprop|Rprop|LBFGS|SparseAdam)$/;
/** Heavy constructions and loads, by callee name, with the word used in the message. */
function heavyKind(context: AnalysisContext, call: Node): string | null {
  const name = calleeName(call) ?? '';
  if (/(^|\.)from_pretrained$/.test(name)) return 'a pretrained model/tokenizer load';
  if (/(^|\.)load_dataset$/.test(name)) return 'a dataset load';
  if (name === 'torch.load') return 'a torch.load of a file';
  if (OPTIMIZERS.test(name)) return 'an optimizer construction';
  if (/(^|\.)DataLoader$/.test(name)) {
    const qualified = context.qualifiedCallee(call) ?? '';
    return !qualified.includes('.') || qualified.startsWith('torch.') ? 'a DataLoader construction (worker start-up)' : null;
  }
  return null;
}

export const loopInvariantInTrainLoop: Rule = {
  meta: {
    id: 'GA307',
    slug: 'loop-invariant-in-train-loop',
    title: 'Heavy object rebuilt inside the training loop',
    category: 'training-loop',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'A DataLoader, optimizer, pretrained model or tokenizer, `torch.load` or `load_dataset` inside the epoch or step loop is rebuilt on every iteration although nothing it depends on changes: worker processes are started again, files are parsed again, weights are read again. This is the loop-invariant statement that perflint reports (W8201), applied to the heavy objects of a training script. An optimizer rebuilt every epoch also silently resets its state (Adam moments, momentum). Reported at information severity: re-creation can be intentional (curriculum learning, k-fold, refreshed data), and the rule stays silent when the call uses anything assigned inside the loop or sits under a condition.',
    fix: 'Create the object once before the loop and reuse it.',
    sources: [
      { title: 'tonybaloney/perflint — W8201 loop-invariant statement', url: 'https://github.com/tonybaloney/perflint', year: 2022 },
      { title: 'PyTorch — torch.utils.data (worker start-up per iterator)', url: 'https://pytorch.org/docs/stable/data.html', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text)) return [];
    const findings: RuleFinding[] = [];
    const reported = new Set<number>();
    for (const { loop } of context.stepLoops()) {
      // The step loop and the epoch loop around it (the nearest enclosing loop of the same function).
      const loops = [loop];
      for (let p = loop.parent; p && p.type !== 'function_definition' && p.type !== 'class_definition'; p = p.parent) {
        if (LOOP_TYPES.has(p.type)) {
          loops.push(p);
          break;
        }
      }
      for (const candidate of loops) {
        const bound = namesBoundIn(candidate);
        for (const call of context.callsWithin(candidate)) {
          if (reported.has(call.id)) continue;
          const kind = heavyKind(context, call);
          if (!kind || isConditionalOrNested(call, candidate)) continue;
          if (identifiersOf(call).some((name) => bound.has(name))) continue;
          reported.add(call.id);
          findings.push({
            range: firstLineRange(call, (line) => context.lineText(line)),
            message: `${capitalise(kind)} runs on every iteration of this training loop although none of its inputs change in the loop: create it once before the loop and reuse it.`,
            fixes: [],
          });
        }
      }
    }
    return findings;
  },
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Names assigned inside the loop (its own targets included): a call that reads one may depend on the iteration. */
function namesBoundIn(loop: Node): Set<string> {
  const names = new Set<string>();
  const left = loop.childForFieldName('left');
  if (left) for (const id of descendantsOfType(left, 'identifier')) names.add(id.text);
  if (left?.type === 'identifier') names.add(left.text);
  for (const node of descendantsOfType(loop, ['assignment', 'augmented_assignment', 'for_statement', 'with_item', 'named_expression', 'for_in_clause'])) {
    const target = node.childForFieldName('left') ?? node.childForFieldName('name') ?? (node.type === 'with_item' ? node.childForFieldName('value')?.childForFieldName('alias') ?? null : null);
    if (!target) continue;
    if (target.type === 'identifier') names.add(target.text);
    for (const id of descendantsOfType(target, 'identifier')) names.add(id.text);
  }
  return names;
}

/** Root identifiers the call reads: `x` in `f(x.y, z[i])`, the receiver included. */
function identifiersOf(call: Node): string[] {
  const names: string[] = [];
  for (const id of descendantsOfType(call, 'identifier')) {
    const parent = id.parent;
    // `obj.attr`: only `obj` is a variable; a keyword name is not a read.
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === id.id) continue;
    if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === id.id) continue;
    names.push(id.text);
  }
  return names;
}

/** Under an `if`/`try`/`with`/nested function inside the loop, or inside a comprehension: deliberate or not per-iteration. */
function isConditionalOrNested(call: Node, loop: Node): boolean {
  for (let p = call.parent; p && p.id !== loop.id; p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'conditional_expression' || p.type === 'try_statement' || p.type === 'function_definition' || p.type === 'lambda' ||
      p.type === 'list_comprehension' || p.type === 'generator_expression' || p.type === 'boolean_operator') return true;
  }
  return false;
}
