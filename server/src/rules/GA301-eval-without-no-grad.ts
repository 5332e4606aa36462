import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { ensureImport, wrapStatements } from '../analysis/edits';
import { calleeMethod, calleeName, contains, enclosingFunction, firstLineRange, indentationOf, parameterNameOf, positionalArguments, receiverOf, statementOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const FRAMEWORK_EVAL_HOOKS = /^(validation_step|test_step|predict_step|evaluate|evaluation_loop|prediction_step)$/;

export const evalWithoutNoGrad: Rule = {
  meta: {
    id: 'GA301',
    slug: 'eval-without-no-grad',
    title: 'Evaluation runs with autograd on',
    category: 'training-loop',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'model.eval() only switches dropout and batch-norm to inference behaviour; autograd still records every operation and keeps activations alive for a backward pass that never happens. Disabling gradient calculation accelerates execution and reduces memory, which also allows larger evaluation batches.',
    fix: 'Run the evaluation under `with torch.no_grad():` (or `torch.inference_mode()`), or decorate the evaluation function with @torch.no_grad().',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Disable gradient calculation for validation or inference', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
    ],
  },
  check(context) {
    if (!context.usesTorch()) return [];
    const findings: RuleFinding[] = [];
    for (const evalCall of context.calls()) {
      if (calleeMethod(evalCall) !== 'eval' || positionalArguments(evalCall).length > 0) continue;
      const model = receiverOf(evalCall);
      if (!model || (model.type !== 'identifier' && model.type !== 'attribute')) continue;
      const finding = checkEvalRegion(context, evalCall, model.text);
      if (finding) findings.push(finding);
    }
    return findings;
  },
};

function checkEvalRegion(context: AnalysisContext, evalCall: Node, model: string): RuleFinding | null {
  const fn = enclosingFunction(evalCall);
  if (fn && FRAMEWORK_EVAL_HOOKS.test(fn.childForFieldName('name')?.text ?? '') && isMethod(fn)) return null;
  const evalStatement = statementOf(evalCall);
  const region = regionAfter(context, evalStatement, model);
  if (region.length === 0) return null;
  const regionCalls = region.flatMap((statement) => context.callsWithin(statement));
  // Gradients are wanted: test-time training, saliency maps, adversarial examples.
  if (regionCalls.some((call) => /(^|\.)(backward|grad|requires_grad_)$/.test(calleeName(call) ?? calleeMethod(call) ?? ''))) return null;
  const direct = regionCalls.filter((call) => isForwardOf(call, model) && !context.isGradDisabled(call));
  // The evaluation may run in a local helper the model is handed to: `evaluate(model, loader)`.
  const delegated = direct.length > 0 ? [] : regionCalls.flatMap((call) => forwardsInHelper(context, call, model));
  const sites = direct.length > 0 ? direct : delegated.map((d) => d.site);
  const first = direct[0] ?? delegated[0]?.forward;
  if (!first || sites.length === 0) return null;
  const firstStatement = region.find((statement) => contains(statement, sites[0]!))!;
  const lastStatement = [...region].reverse().find((statement) => sites.some((call) => contains(statement, call)))!;
  const fixes: Fix[] = [];
  const importTorch = ensureImport(context, 'torch');
  const wrap = wrapStatements(context, firstStatement, lastStatement, 'with torch.no_grad()');
  fixes.push({ title: 'Wrap the evaluation in `with torch.no_grad():`', preferred: true, edits: importTorch ? [importTorch, wrap] : [wrap] });
  const decorate = decoratorFix(context, evalStatement, fn);
  if (decorate) fixes.push(decorate);
  return {
    range: firstLineRange(first, (line) => context.lineText(line)),
    message: `${model}.eval() is followed by forward passes with autograd on: activations are kept for a backward pass that never comes. Wrap the evaluation in torch.no_grad().`,
    fixes,
    effect: { kind: 'slowdown', factor: 'eval-autograd-overhead', label: 'torch.no_grad() evaluation' },
  };
}

/**
 * When `call` hands the model to a function defined in this file (`evaluate_wer(model, loader)`), the forward
 * passes of that parameter inside it that run with autograd on; empty when the helper manages modes itself.
 */
function forwardsInHelper(context: AnalysisContext, call: Node, model: string): { site: Node; forward: Node }[] {
  const name = calleeName(call);
  if (!name || name.includes('.')) return [];
  const position = positionalArguments(call).findIndex((argument) => argument.text === model);
  if (position < 0) return [];
  const helper = context.nodesOfType('function_definition').find((fn) => fn.childForFieldName('name')?.text === name && !isMethod(fn));
  if (!helper) return [];
  const parameter = parameterNames(helper)[position];
  if (!parameter) return [];
  const inner = context.callsWithin(helper);
  // The helper wants gradients (a backward pass) or sets the model's mode itself: its own region decides.
  const managesGrad = inner.some((c) => {
    const receiver = receiverOf(c)?.text;
    const method = calleeMethod(c) ?? '';
    return receiver !== undefined && (method === 'backward' || (receiver === parameter && HELPER_MODE_METHODS.has(method)));
  });
  if (managesGrad) return [];
  return inner.filter((c) => isForwardOf(c, parameter) && !context.isGradDisabled(c)).map((forward) => ({ site: call, forward }));
}

const HELPER_MODE_METHODS = new Set(['grad', 'requires_grad_', 'eval', 'train']);
const POSITIONAL_PARAMETERS = new Set(['identifier', 'default_parameter', 'typed_parameter', 'typed_default_parameter']);

/** Names of the parameters that take positional arguments, up to `*args`, `*` or `**kwargs`. */
function parameterNames(fn: Node): string[] {
  const names: string[] = [];
  for (const parameter of fn.childForFieldName('parameters')?.namedChildren ?? []) {
    if (!parameter) continue;
    if (!POSITIONAL_PARAMETERS.has(parameter.type)) break;
    names.push(parameterNameOf(parameter) ?? '');
  }
  return names;
}

function isMethod(fn: Node): boolean {
  const parent = fn.parent?.type === 'decorated_definition' ? fn.parent.parent : fn.parent;
  return parent?.parent?.type === 'class_definition';
}

/** Statements after `model.eval()` in the same block, up to the one that calls `model.train()`. */
function regionAfter(context: AnalysisContext, evalStatement: Node, model: string): Node[] {
  const region: Node[] = [];
  for (let next = evalStatement.nextNamedSibling; next; next = next.nextNamedSibling) {
    if (next.type === 'comment') continue;
    const trains = context.callsWithin(next).some(
      (call) => calleeName(call) === `${model}.train` && positionalArguments(call)[0]?.type !== 'false',
    );
    const returnsFirst = next.type === 'expression_statement' && trains;
    if (returnsFirst) break;
    region.push(next);
    if (trains) break;
  }
  return region;
}

function isForwardOf(call: Node, model: string): boolean {
  const name = calleeName(call);
  return name === model || name === `${model}.forward` || name === `${model}.module`;
}

/** When `model.eval()` opens a function, decorating the function is the cleaner fix. */
function decoratorFix(context: AnalysisContext, evalStatement: Node, fn: Node | null): Fix | null {
  if (!fn) return null;
  const body = fn.childForFieldName('body');
  const statements = body?.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment') ?? [];
  const firstReal = statements.find((statement) => !(statement.type === 'expression_statement' && statement.namedChildren[0]?.type === 'string'));
  if (!firstReal || firstReal.id !== evalStatement.id) return null;
  if (context.callsWithin(fn).some((call) => calleeMethod(call) === 'train')) return null;
  const definition = fn.parent?.type === 'decorated_definition' ? fn.parent : fn;
  const row = definition.startPosition.row;
  const indentation = indentationOf(context.lineText(row));
  const newline = context.newline();
  return {
    title: `Decorate ${fn.childForFieldName('name')?.text ?? 'the function'}() with @torch.no_grad()`,
    preferred: false,
    edits: [{ range: { start: { line: row, character: 0 }, end: { line: row, character: 0 } }, newText: `${indentation}@torch.no_grad()${newline}` }],
  };
}
