import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { calleeMethod, calleeName, firstLineRange, positionalArguments, rangeOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

/** `len(list(`, `len(tuple(`, `len([*`, `len([b for b in`: the only shapes this rule looks at. */
const PREFILTER = /len\(\s*(?:list\(|tuple\(|\[)/;
const MATERIALIZERS = new Set(['list', 'tuple']);
/** Names people give loaders: `train_loader`, `val_dataloader`, `self.train_dl`, `dl`, `loader`. */
const LOADER_NAME = /(^|_)(data)?loader$|(^|_)dl$/i;
/** Loaders that may not know their length (`IterableDataset`, streaming datasets, WebDataset pipelines). */
const UNSIZED_HINT = /IterableDataset|streaming\s*=\s*True|webdataset|\bwds\.|to_iterable_dataset/;

export const dataloaderLenMaterialized: Rule = {
  meta: {
    id: 'GA206',
    slug: 'dataloader-len-materialized',
    title: 'len(list(loader)) runs a whole extra data pass',
    category: 'input-pipeline',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'Materialising a DataLoader to count its batches iterates it completely: every sample is read from disk, decoded, augmented and collated (and worker processes are started) only to be thrown away, which roughly doubles the input pipeline\'s energy for that epoch. A DataLoader over a map-style dataset already knows its length through __len__; perflint reports the general pattern as an unnecessary list() cast (W8101).',
    fix: 'Use len(loader) (the number of batches, drop_last included) for a map-style dataset; for an IterableDataset, count batches in the loop that already iterates.',
    sources: [
      { title: 'torch.utils.data — DataLoader and dataset types', url: 'https://pytorch.org/docs/stable/data.html', year: 2024 },
      { title: 'perflint W8101 unnecessary-list-cast', url: 'https://github.com/tonybaloney/perflint', year: 2022 },
    ],
  },
  check(context) {
    if (!PREFILTER.test(context.text)) return [];
    const findings: RuleFinding[] = [];
    for (const call of context.calls()) {
      if (calleeName(call) !== 'len') continue;
      const [argument] = positionalArguments(call);
      const loader = argument ? materialisedIterable(argument) : null;
      const evidence = loader ? loaderEvidence(context, loader) : null;
      if (!loader || !evidence) continue;
      findings.push(finding(context, call, loader, evidence));
    }
    return findings;
  },
};

/** `X` in `list(X)`, `tuple(X)`, `[*X]` or `[b for b in X]` (no condition, element unchanged); null otherwise. */
function materialisedIterable(expression: Node): Node | null {
  if (expression.type === 'call' && MATERIALIZERS.has(calleeName(expression) ?? '')) {
    const args = positionalArguments(expression);
    return args.length === 1 && args[0]!.type !== 'generator_expression' ? args[0]! : null;
  }
  if (expression.type === 'list') {
    const items = expression.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment');
    return items.length === 1 && items[0]!.type === 'list_splat' ? (items[0]!.namedChildren[0] ?? null) : null;
  }
  if (expression.type === 'list_comprehension') {
    const body = expression.childForFieldName('body');
    const clauses = expression.namedChildren.filter((child) => child?.type === 'for_in_clause' || child?.type === 'if_clause');
    const clause = clauses[0];
    if (clauses.length !== 1 || clause?.type !== 'for_in_clause') return null;
    const target = clause.childForFieldName('left');
    return body && target && body.text === target.text ? clause.childForFieldName('right') : null;
  }
  return null;
}

type LoaderEvidence = 'constructed' | 'named';

/** Iterators and generators over a loader have no length, and counting them consumes them: not ours. */
const ITERATOR_FACTORIES = /^(iter|itertools\.\w+|cycle|islice|chain|map|filter|zip|enumerate)$/;

/**
 * A DataLoader by construction (`DataLoader(...)`, `dm.train_dataloader()`) or by its name (`train_loader`,
 * `self.val_dl`) unless the name is bound to an iterator over one (`it = iter(loader)`).
 */
function loaderEvidence(context: AnalysisContext, expression: Node): LoaderEvidence | null {
  if (expression.type === 'call') {
    if (/DataLoader$/.test(calleeName(expression) ?? '')) return 'constructed';
    return /_?dataloader$/i.test(calleeMethod(expression) ?? '') ? 'named' : null;
  }
  if (expression.type !== 'identifier' && expression.type !== 'attribute') return null;
  const definition = expression.type === 'identifier' ? context.values().definitionOf(expression) : null;
  if (definition?.type === 'call') {
    const callee = calleeName(definition) ?? '';
    if (/DataLoader$/.test(callee)) return 'constructed';
    if (ITERATOR_FACTORIES.test(callee)) return null;
  }
  if (definition && (definition.type === 'generator_expression' || definition.type === 'list' || definition.type === 'list_comprehension')) return null;
  const name = expression.text;
  return LOADER_NAME.test(name.slice(name.lastIndexOf('.') + 1)) ? 'named' : null;
}

function finding(context: AnalysisContext, call: Node, loader: Node, evidence: LoaderEvidence): RuleFinding {
  const unsized = UNSIZED_HINT.test(context.text);
  const counted = `len(${loader.text})`;
  // Certain to be equivalent only for a DataLoader built right here; a loader known by its name may be a generator.
  const fixes: Fix[] = unsized
    ? []
    : [{
        title: evidence === 'constructed' ? `Use ${counted}` : `Use ${counted} (if ${loader.text} is a DataLoader over a map-style dataset)`,
        preferred: evidence === 'constructed',
        edits: [{ range: rangeOf(call), newText: counted }],
      }];
  const shown = call.text.replace(/\s+/g, ' ');
  return {
    range: firstLineRange(call, (line) => context.lineText(line)),
    message: unsized
      ? `${shown} loads every batch of ${loader.text} once more just to count them. This file uses an iterable (unsized) dataset, where ${counted} may raise: count the batches in the loop that already iterates (no automatic fix).`
      : `${shown} loads every batch of ${loader.text} once more just to count them; ${counted} gives the same number without a data pass.`,
    fixes,
  };
}
