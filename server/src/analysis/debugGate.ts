/** DEBUG-GATED: code that only runs in an explicit debug or profiling mode is intentional, not waste. */
import type { Node } from 'web-tree-sitter';

export const DEBUG_WORD = /debug|profil/i;

export function isDebugGated(node: Node): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause') {
      const condition = p.childForFieldName('condition');
      if (condition && DEBUG_WORD.test(condition.text) && inConsequence(p, node)) return true;
    }
    // `profile(...) if args.profile else nullcontext()`: the value chosen when the debug switch is on.
    if (p.type === 'conditional_expression') {
      const [whenTrue, condition] = p.namedChildren;
      if (whenTrue && condition && DEBUG_WORD.test(condition.text) && within(whenTrue, node)) return true;
    }
    if (p.type === 'function_definition' && DEBUG_WORD.test(p.childForFieldName('name')?.text ?? '')) return true;
  }
  return false;
}

function inConsequence(ifNode: Node, node: Node): boolean {
  const consequence = ifNode.childForFieldName('consequence');
  return !!consequence && within(consequence, node);
}

function within(outer: Node, node: Node): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}
