import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument, replaceKeywordValue } from '../analysis/edits';
import { calleeMethod, calleeName, contains, enclosingClass, enclosingFunction, firstLineRange, keywordArgument, positionalArguments, rangeOf, receiverOf, statementOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const CONV = /^(Lazy)?Conv(Transpose)?[123]d$/;
const BATCH_NORM = /^(Lazy)?BatchNorm[123]d$|^SyncBatchNorm$/;

interface ConvBias {
  conv: Node;
  /** How bias is given: absent (default True), a keyword or a positional argument set to True. */
  given: 'absent' | 'keyword' | 'positional';
  positional: Node | null;
}

export const convBiasBeforeBn: Rule = {
  meta: {
    id: 'GA401',
    slug: 'conv-bias-before-bn',
    title: 'Convolution bias cancelled by the following BatchNorm',
    category: 'kernels',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'BatchNorm subtracts the per-channel mean of its input, so a bias added by the convolution right before it cancels out exactly. The bias still costs an extra elementwise pass over the activations in forward and backward, plus parameters, gradients and optimizer state. The PyTorch Tuning Guide recommends bias=False for convolutions directly followed by batch norm, and the PyTorch profiler reports the pattern (Conv2dBiasFollowedByBatchNorm2dPattern).',
    fix: 'Pass bias=False to the convolution that feeds the BatchNorm.',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Disable bias for convolutions directly followed by a batch norm', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'PyTorch profiler pattern matcher (Conv2dBiasFollowedByBatchNorm2dPattern)', url: 'https://github.com/pytorch/pytorch/blob/main/torch/profiler/_pattern_matcher.py', year: 2024 },
      { title: 'creedengo-python GCI101 AvoidConvBiasBeforeBatchNorm', url: 'https://github.com/green-code-initiative/creedengo-python', year: 2024 },
    ],
  },
  check(context) {
    if (!context.text.includes('BatchNorm') || !context.text.includes('Conv')) return [];
    const findings: RuleFinding[] = [];
    const seen = new Set<number>();
    for (const bn of context.calls()) {
      if (!isTorchModule(context, bn, BATCH_NORM)) continue;
      for (const candidate of convsFeeding(context, bn)) {
        const conv = biasedConv(context, candidate);
        if (!conv || seen.has(conv.conv.id) || channelsDiffer(context, conv.conv, bn)) continue;
        seen.add(conv.conv.id);
        findings.push(finding(context, conv, bn));
      }
    }
    return findings;
  },
};

function isTorchModule(context: AnalysisContext, call: Node, pattern: RegExp): boolean {
  const method = calleeMethod(call);
  if (!method || !pattern.test(method)) return false;
  const qualified = context.qualifiedCallee(call) ?? '';
  return qualified === method || qualified.startsWith('torch.nn.');
}

/** The expressions whose output goes straight into this BatchNorm: the previous layer of a Sequential/list, or `self.conv` in forward. */
function convsFeeding(context: AnalysisContext, bn: Node): Node[] {
  const parent = bn.parent;
  if (!parent) return [];
  if (parent.type === 'argument_list') {
    const owner = parent.parent;
    if (owner?.type !== 'call') return [];
    const method = calleeMethod(owner);
    if (method === 'Sequential' || isSequentialSuperInit(context, owner)) return previousElement(parent, bn);
    if (method === 'append') return previousAppend(owner);
    return [];
  }
  if (parent.type === 'list' || parent.type === 'tuple') {
    // `OrderedDict([("conv", Conv2d(...)), ("bn", BatchNorm2d(...))])`: the pair before holds the conv.
    if (parent.type === 'tuple' && parent.parent?.type === 'list' && positionIn(parent, bn) === 1) {
      const pair = previousElement(parent.parent, parent)[0];
      const layer = pair?.type === 'tuple' ? itemsOf(pair)[1] : undefined;
      return layer ? [layer] : [];
    }
    return previousElement(parent, bn);
  }
  if (parent.type === 'assignment') return forwardFeeders(context, bn, parent);
  return [];
}

/**
 * `super().__init__(conv, bn, …)` (or `nn.Sequential.__init__(self, conv, bn, …)`) in a subclass of nn.Sequential:
 * the arguments are the layers in order, exactly as in `nn.Sequential(conv, bn, …)`.
 */
function isSequentialSuperInit(context: AnalysisContext, call: Node): boolean {
  if (calleeMethod(call) !== '__init__') return false;
  const callee = call.childForFieldName('function');
  const object = callee?.type === 'attribute' ? callee.childForFieldName('object') : null;
  const viaSuper = object?.type === 'call' && calleeName(object) === 'super';
  const viaClass = !!object && /(^|\.)Sequential$/.test(context.imports().qualify(object.text)) && positionalArguments(call)[0]?.text === 'self';
  if (!viaSuper && !viaClass) return false;
  const fn = enclosingFunction(call);
  const cls = fn ? enclosingClass(fn) : null;
  if (!fn || !cls || fn.childForFieldName('name')?.text !== '__init__') return false;
  const bases = cls.childForFieldName('superclasses')?.namedChildren ?? [];
  return bases.some((base) => {
    if (!base) return false;
    const qualified = context.imports().qualify(base.text);
    return qualified === 'torch.nn.Sequential' || qualified === 'torch.nn.modules.container.Sequential';
  });
}

function itemsOf(container: Node): Node[] {
  return container.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment' && child.type !== 'keyword_argument');
}

function positionIn(container: Node, item: Node): number {
  return itemsOf(container).findIndex((candidate) => candidate.id === item.id);
}

function previousElement(container: Node, item: Node): Node[] {
  const index = positionIn(container, item);
  const previous = index > 0 ? itemsOf(container)[index - 1] : undefined;
  return previous ? [previous] : [];
}

/** `layers.append(nn.Conv2d(...))` directly before `layers.append(nn.BatchNorm2d(...))`. */
function previousAppend(append: Node): Node[] {
  const statement = statementOf(append);
  let previous = statement.previousNamedSibling;
  while (previous?.type === 'comment') previous = previous.previousNamedSibling;
  const call = previous?.type === 'expression_statement' ? previous.namedChildren[0] : null;
  if (call?.type !== 'call' || calleeMethod(call) !== 'append' || receiverOf(call)?.text !== receiverOf(append)?.text) return [];
  const [layer] = positionalArguments(call);
  return layer ? [layer] : [];
}

/**
 * `self.bn = nn.BatchNorm2d(c)` in a module whose forward applies it straight to `self.conv`'s output:
 * `self.bn(self.conv(x))`, or `x = self.conv(x)` then `x = self.bn(x)`. The conv must be called only there
 * and its output used by nothing else (a skip connection keeps the bias meaningful).
 */
function forwardFeeders(context: AnalysisContext, bn: Node, assignment: Node): Node[] {
  const left = assignment.childForFieldName('left');
  const cls = enclosingClass(bn);
  if (!cls || left?.type !== 'attribute' || left.childForFieldName('object')?.text !== 'self') return [];
  const bnName = left.text;
  const classCalls = context.callsWithin(cls);
  const feeders: Node[] = [];
  for (const use of classCalls) {
    if (calleeName(use) !== bnName) continue;
    const [input] = positionalArguments(use);
    if (!input) continue;
    let convName: string | null = null;
    if (input.type === 'call' && /^self\.\w+$/.test(calleeName(input) ?? '')) convName = calleeName(input);
    else if (input.type === 'identifier') convName = assignedConvCall(use, input.text);
    if (!convName) continue;
    if (classCalls.filter((call) => calleeName(call) === convName).length !== 1) continue;
    const constructor = attributeConstructor(context, cls, convName);
    if (constructor) feeders.push(constructor);
  }
  return feeders;
}

/** For `out = self.bn(out)`: the `self.conv` of the statement just before (`out = self.conv(x)`), when nothing else reads its output. */
function assignedConvCall(bnUse: Node, name: string): string | null {
  const statement = statementOf(bnUse);
  let previous = statement.previousNamedSibling;
  while (previous?.type === 'comment') previous = previous.previousNamedSibling;
  const assignment = previous?.type === 'expression_statement' ? previous.namedChildren[0] : null;
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('left')?.text !== name) return null;
  const right = assignment.childForFieldName('right');
  const convName = right?.type === 'call' ? calleeName(right) : null;
  if (!convName || !/^self\.\w+$/.test(convName)) return null;
  // The conv output must die here: either the BatchNorm statement rebinds the name, or no later statement reads it.
  const rebinds = statement.namedChildren[0]?.type === 'assignment' && statement.namedChildren[0].childForFieldName('left')?.text === name;
  if (!rebinds) {
    const fn = enclosingFunction(bnUse);
    const pattern = new RegExp(`\\b${name}\\b`);
    for (let next = statement.nextNamedSibling; next; next = next.nextNamedSibling) {
      if (pattern.test(next.text)) return null;
    }
    const bnArguments = bnUse.childForFieldName('arguments');
    const rest = statement.text.replace(bnArguments?.text ?? '', '');
    if (pattern.test(rest) || !fn) return null;
  }
  return convName;
}

/** The single `self.conv = <call>` of the class. */
function attributeConstructor(context: AnalysisContext, cls: Node, attribute: string): Node | null {
  let found: Node | null = null;
  for (const assignment of context.nodesOfType('assignment')) {
    if (!contains(cls, assignment) || assignment.childForFieldName('left')?.text !== attribute) continue;
    if (found) return null;
    found = assignment.childForFieldName('right');
  }
  return found?.type === 'call' ? found : null;
}

/**
 * The conv's out_channels and the BatchNorm's num_features are visibly different (`Conv2d(a, b)` then
 * `BatchNorm2d(a)`): the BatchNorm does not normalise this conv's output channels, so nothing says the bias cancels.
 */
function channelsDiffer(context: AnalysisContext, conv: Node, bn: Node): boolean {
  const lazyConv = (calleeMethod(conv) ?? '').startsWith('Lazy');
  if ((calleeMethod(bn) ?? '').startsWith('Lazy')) return false;
  const values = context.values();
  const out = values.argument(conv, 'out_channels', lazyConv ? 0 : 1);
  const features = values.argument(bn, 'num_features', 0);
  if (out.state !== 'present' || features.state !== 'present') return false;
  if (out.node.text === features.node.text) return false;
  const [a, b] = [values.resolve(out.node), values.resolve(features.node)];
  if (a.kind === 'number' && b.kind === 'number') return a.value !== b.value;
  // Two different plain names (`out_ch` vs `in_ch`) are different widths as written.
  return out.node.type === 'identifier' && features.node.type === 'identifier' && a.kind === 'unknown' && b.kind === 'unknown';
}

/** The conv call (directly or through a local name used once) when its bias is on. */
function biasedConv(context: AnalysisContext, candidate: Node): ConvBias | null {
  let conv = candidate;
  if (candidate.type === 'identifier') {
    const definition = context.values().definitionOf(candidate);
    if (definition?.type !== 'call') return null;
    // `conv2d = nn.Conv2d(...)` also used without the BatchNorm (VGG's `if batch_norm: … else: …`) needs its bias there.
    const scope = enclosingFunction(candidate) ?? context.root;
    const uses = scope.text.match(new RegExp(`\\b${candidate.text}\\b`, 'g'))?.length ?? 0;
    if (uses !== 2) return null;
    conv = definition;
  }
  if (conv.type !== 'call' || !isTorchModule(context, conv, CONV)) return null;
  const position = (calleeMethod(conv) ?? '').startsWith('Lazy') ? 6 : 7;
  const bias = context.values().argument(conv, 'bias', position);
  if (bias.state === 'unknown') return null;
  if (bias.state === 'absent') return { conv, given: 'absent', positional: null };
  const value = context.values().resolve(bias.node, { cliDefaults: false });
  if (value.kind !== 'bool' || !value.value) return null;
  if (keywordArgument(conv, 'bias')) return { conv, given: 'keyword', positional: null };
  return bias.node.parent?.id === conv.childForFieldName('arguments')?.id ? { conv, given: 'positional', positional: bias.node } : null;
}

function finding(context: AnalysisContext, bias: ConvBias, bn: Node): RuleFinding {
  const edit =
    bias.given === 'absent'
      ? addKeywordArgument(context, bias.conv, 'bias=False')
      : bias.given === 'keyword'
        ? replaceKeywordValue(bias.conv, 'bias', 'False')
        : { range: rangeOf(bias.positional!), newText: 'False' };
  const fixes: Fix[] = edit
    ? [{ title: 'Pass bias=False (same outputs; checkpoints saved with the bias no longer load strictly)', preferred: false, edits: [edit] }]
    : [];
  const conv = calleeName(bias.conv) ?? 'Conv';
  return {
    range: firstLineRange(bias.conv, (line) => context.lineText(line)),
    message: `${conv}(…) feeds ${calleeName(bn) ?? 'BatchNorm'} directly: the batch norm subtracts the channel mean, so the convolution's bias cancels out and only costs compute, memory and optimizer state. Pass bias=False.`,
    fixes,
    related: [{ range: firstLineRange(bn, (line) => context.lineText(line)), message: 'the BatchNorm that cancels the bias' }],
  };
}
