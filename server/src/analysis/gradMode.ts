/**
 * GRAD-DISABLED: is autograd off where a node runs? Enclosing `with torch.no_grad()` /
 * `inference_mode()` / `set_grad_enabled(False or a variable)`, a `@torch.no_grad()`-style decorator, or a
 * function whose every call site in the file is itself grad-disabled.
 */
import type { Node } from 'web-tree-sitter';
import { calleeMethod, calleeName, descendantsOfType, positionalArguments } from './syntax';

const DISABLING_CONTEXTS = new Set(['no_grad', 'inference_mode']);

function disablesGrad(expression: Node): boolean {
  if (expression.type !== 'call') {
    // `@torch.no_grad` without parentheses is accepted by PyTorch as a decorator too.
    const text = expression.text;
    return /(^|\.)(no_grad|inference_mode)$/.test(text);
  }
  const method = calleeMethod(expression);
  if (method && DISABLING_CONTEXTS.has(method)) {
    // inference_mode(False) / inference_mode(mode=False) re-enables it.
    const [first] = positionalArguments(expression);
    return !(method === 'inference_mode' && first?.type === 'false');
  }
  if (method === 'set_grad_enabled') {
    const [first] = positionalArguments(expression);
    return first?.type !== 'true';
  }
  return false;
}

function withStatementDisables(withStatement: Node): boolean {
  for (const item of descendantsOfType(withStatement.child(1) ?? withStatement, 'with_item')) {
    const value = item.childForFieldName('value');
    const expression = value?.type === 'as_pattern' ? value.namedChildren[0] : value;
    if (expression && disablesGrad(expression)) return true;
  }
  return false;
}

function decoratorsDisable(fn: Node): boolean {
  const decorated = fn.parent?.type === 'decorated_definition' ? fn.parent : null;
  if (!decorated) return false;
  return decorated.namedChildren.some((child) => {
    if (child?.type !== 'decorator') return false;
    const expression = child.namedChildren[0];
    return !!expression && disablesGrad(expression);
  });
}

export class GradMode {
  private readonly callSites = new Map<string, Node[]>();
  private readonly functionVerdicts = new Map<number, boolean>();

  constructor(calls: readonly Node[]) {
    for (const call of calls) {
      if (!calleeName(call)) continue;
      // The last segment of the name (cached per call, no split per call).
      const short = calleeMethod(call)!;
      const list = this.callSites.get(short);
      if (list) list.push(call);
      else this.callSites.set(short, [call]);
    }
  }

  isDisabledAt(node: Node, depth = 0): boolean {
    for (let p = node.parent; p; p = p.parent) {
      if (p.type === 'with_statement' && withStatementDisables(p)) return true;
      if (p.type === 'function_definition') {
        if (decoratorsDisable(p)) return true;
        return depth < 3 && this.allCallersDisabled(p, depth);
      }
      if (p.type === 'class_definition') return false;
    }
    return false;
  }

  private allCallersDisabled(fn: Node, depth: number): boolean {
    const cached = this.functionVerdicts.get(fn.id);
    if (cached !== undefined) return cached;
    this.functionVerdicts.set(fn.id, false);
    const name = fn.childForFieldName('name')?.text;
    const sites = name ? (this.callSites.get(name) ?? []).filter((site) => !isInside(site, fn)) : [];
    const verdict = sites.length > 0 && sites.every((site) => this.isDisabledAt(site, depth + 1));
    this.functionVerdicts.set(fn.id, verdict);
    return verdict;
  }
}

function isInside(node: Node, container: Node): boolean {
  return node.startIndex >= container.startIndex && node.endIndex <= container.endIndex;
}
