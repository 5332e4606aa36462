/**
 * Which models of a plain PyTorch script are trained in mixed precision, and whether each is convolutional.
 * A file may train several models (a notebook's fp32 baseline, then a bf16 run, then an MLP): the autocast region
 * says which of them runs in reduced precision — the models called inside it, the model whose parameters the
 * enclosing step loop's optimizer steps — so that a finding lands on that model, not on any CNN of the file.
 */
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from './context';
import {
  calleeMethod,
  calleeName,
  contains,
  descendantsOfType,
  dottedName,
  enclosingClass,
  enclosingFunction,
  keywordValue,
  parameterNameOf,
  positionalArguments,
  receiverOf,
  stringLiteralValue,
} from './syntax';

export type ConvolutionalVerdict = 'conv' | 'not-conv' | 'unknown';

/** Model factories that build CNNs (torchvision classification/segmentation/detection families). */
export const CNN_FACTORY =
  /(^|\.)(resnet\d+|resnext\w+|wide_resnet\w+|vgg\d+\w*|densenet\d+|mobilenet_v\d\w*|efficientnet_\w+|regnet_\w+|convnext_\w+|shufflenet\w+|squeezenet\w+|mnasnet\w+|googlenet|inception_v3|alexnet|deeplabv3_\w+|fcn_\w+|fasterrcnn_\w+|maskrcnn_\w+|retinanet_\w+|unet\w*)$/i;
/** timm model names that are not convolutional. */
export const NOT_CNN = /vit|deit|swin|beit|eva|mixer|xcit|cait|levit|pit_|crossvit|twins|tnt|maxvit/i;

/** Methods that return the same model (moved, cast or switched mode): `Net().to(device)` is still `Net()`. */
const SAME_MODEL_METHODS = new Set(['to', 'cuda', 'half', 'bfloat16', 'float', 'train', 'eval', 'requires_grad_']);
/** Wrappers whose first argument is the model they wrap: `DataParallel(model)`, `torch.compile(model)`. */
const WRAPPER = /(^|\.)(DataParallel|DistributedDataParallel|DDP|FSDP|FullyShardedDataParallel|compile|convert_sync_batchnorm)$/;
/** Text every call that wrappedName follows contains (a same-model method call or a wrapper name). */
const REBINDING_TEXT = /\.\s*(to|cuda|half|bfloat16|float|train|eval|requires_grad_)\s*\(|DataParallel|DDP|FSDP|compile|convert_sync_batchnorm/;
const CONTAINERS = /^torch\.nn\.(Sequential|ModuleList|ModuleDict)$/;
/** A condition that picks the precision at run time: `if args.amp:`, `if use_fp16:`. */
const PRECISION_CONDITION = /amp|fp16|bf16|half|precision|mixed/i;
const REDUCED_DTYPE = /float16|bfloat16|half/;
const MAX_DEPTH = 4;

/** The mixed-precision evidence of a plain PyTorch script, tied to the models it concerns. */
export interface MixedPrecisionModels {
  /**
   * True when the file uses torch's own autocast or casts a model to half precision: then only `trained` counts,
   * and a framework's precision setting (Lightning, Accelerate, Hugging Face) is not what decides.
   */
  torchLevel: boolean;
  /** Names of the models trained in reduced precision by default, each with the names it is wrapped or moved as. */
  trained: Set<string>[];
}

export function mixedPrecisionModels(context: AnalysisContext): MixedPrecisionModels {
  const models = context.modelNames();
  const seeds = new Set<string>();
  let torchLevel = false;
  for (const call of context.calls()) {
    const method = calleeMethod(call);
    if (method === 'autocast' && isTorchAutocast(context, call)) {
      torchLevel = true;
      if (!isEnabledByDefault(context, call)) continue;
      // Autocast in a model's own forward (a `with`, or `@torch.autocast(...)` on it): the models built from that class.
      const decorated = call.parent?.type === 'decorator' ? call.parent.parent?.childForFieldName('definition') ?? null : null;
      const forward = decorated ?? enclosingFunction(call);
      const cls = forward && /^(forward|__call__)$/.test(forward.childForFieldName('name')?.text ?? '') ? enclosingClass(forward) : null;
      if (cls) {
        for (const name of instancesOf(context, cls)) seeds.add(name);
        continue;
      }
      const region = autocastRegion(context, call);
      if (!region || isChosenAtRunTime(context, region)) continue;
      if (context.isGradDisabled(region.body)) continue;
      for (const name of modelsTrainedIn(context, region.statement, region.body, models)) seeds.add(name);
    } else if (isModelCast(call, models)) {
      torchLevel = true;
      if (isChosenAtRunTime(context, { statement: call })) continue;
      const receiver = dottedName(receiverOf(call));
      if (receiver) seeds.add(receiver);
    }
  }
  const groups: Set<string>[] = [];
  for (const seed of seeds) {
    if (groups.some((group) => group.has(seed))) continue;
    groups.push(aliasGroup(context, seed));
  }
  return { torchLevel, trained: groups };
}

function isTorchAutocast(context: AnalysisContext, call: Node): boolean {
  const qualified = context.qualifiedCallee(call) ?? '';
  // `accelerator.autocast()` follows the Accelerator's own mixed_precision setting, which decides elsewhere.
  return qualified === 'autocast' || qualified.startsWith('torch.');
}

interface Region {
  statement: Node;
  body: Node;
}

/** The `with` statement an autocast call opens: `with torch.autocast(...):`, or `ctx = torch.autocast(...)` … `with ctx:`. */
function autocastRegion(context: AnalysisContext, call: Node): Region | null {
  const direct = withStatementOf(call);
  if (direct) return direct;
  const assignment = call.parent;
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')?.id !== call.id) return null;
  const name = dottedName(assignment.childForFieldName('left'));
  if (!name) return null;
  const scope = enclosingFunction(call) ?? context.root;
  for (const item of descendantsOfType(scope, 'with_item')) {
    const value = item.childForFieldName('value');
    const expression = value?.type === 'as_pattern' ? value.namedChildren[0] : value;
    if (expression && dottedName(expression) === name && expression.startIndex > call.startIndex) {
      const region = withStatementOf(expression);
      if (region) return region;
    }
  }
  return null;
}

function withStatementOf(expression: Node): Region | null {
  let item = expression.parent;
  if (item?.type === 'as_pattern') item = item.parent;
  if (item?.type !== 'with_item') return null;
  const statement = item.parent?.parent;
  const body = statement?.childForFieldName('body');
  return statement?.type === 'with_statement' && body ? { statement, body } : null;
}

/** `enabled=` absent, or known to be true: a flag whose default is off (`enabled=args.amp`, `enabled=scaler is not None`) is not. */
function isEnabledByDefault(context: AnalysisContext, call: Node): boolean {
  const values = context.values();
  const enabled = values.argument(call, 'enabled');
  if (enabled.state === 'absent') return true;
  if (enabled.state === 'unknown') return false;
  const value = values.resolve(enabled.node);
  return value.kind === 'bool' && value.value;
}

/** Inside `if args.amp:` (or its `else`) whose condition is not known to hold: precision chosen at launch. */
function isChosenAtRunTime(context: AnalysisContext, region: { statement: Node }): boolean {
  for (let p = region.statement.parent; p; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'class_definition') return false;
    if (p.type !== 'if_statement' && p.type !== 'conditional_expression') continue;
    const condition = p.type === 'if_statement' ? p.childForFieldName('condition') : p.namedChildren[1];
    if (!condition || !PRECISION_CONDITION.test(condition.text)) continue;
    const value = context.values().resolve(condition);
    const inConsequence = p.type === 'if_statement' ? contains(p.childForFieldName('consequence') ?? p, region.statement) : contains(p.namedChildren[0] ?? p, region.statement);
    if (value.kind !== 'bool' || value.value !== inConsequence) return true;
  }
  return false;
}

/** `model.half()`, `model.bfloat16()`, `model.to(torch.bfloat16)` / `model.to(dtype=torch.float16)` on a model. */
function isModelCast(call: Node, models: ReadonlySet<string>): boolean {
  const method = calleeMethod(call);
  if (method !== 'half' && method !== 'bfloat16' && method !== 'to') return false;
  const receiver = dottedName(receiverOf(call));
  if (!receiver || !models.has(receiver)) return false;
  if (method !== 'to') return true;
  const dtype = keywordValue(call, 'dtype') ?? positionalArguments(call).find((argument) => /^torch\./.test(argument.text)) ?? null;
  return !!dtype && REDUCED_DTYPE.test(dtype.text);
}

/**
 * The models an autocast region trains: those called (or passed to a call) inside it, the model whose parameters
 * the optimizer of an enclosing step loop steps, and — when such a name is a parameter of the function — the
 * arguments its callers pass for it.
 */
function modelsTrainedIn(context: AnalysisContext, statement: Node, body: Node, models: ReadonlySet<string>): Set<string> {
  const trained = new Set<string>();
  const fn = enclosingFunction(statement);
  const parameters = new Set(fn?.childForFieldName('parameters')?.namedChildren.map((p) => (p ? parameterNameOf(p) : null)) ?? []);
  // A parameter called inside the region (`model(images)` in `def train_one_epoch(model, …)`) is the model its callers pass.
  const isModel = (name: string | null): name is string => !!name && (models.has(name) || parameters.has(name));
  for (const call of context.callsWithin(body)) {
    const name = calleeName(call);
    if (isModel(name)) trained.add(name);
    for (const argument of positionalArguments(call)) {
      const argumentName = dottedName(argument);
      if (isModel(argumentName)) trained.add(argumentName);
    }
  }
  for (const loop of context.stepLoops()) {
    if (!contains(loop.loop, statement) && !contains(statement, loop.loop)) continue;
    for (const step of loop.stepCalls) {
      // `scaler.step(optimizer)` names the optimizer in its argument, `optimizer.step()` in its receiver.
      const optimizer = /scaler/i.test(receiverOf(step)?.text ?? '') ? positionalArguments(step)[0] : receiverOf(step);
      const model = optimizer ? steppedModel(context, optimizer) : null;
      if (model) trained.add(model);
    }
  }
  if (fn) {
    for (const name of [...trained]) {
      for (const argument of callerArguments(context, fn, name)) if (models.has(argument)) trained.add(argument);
    }
  }
  return new Set([...trained].filter((name) => models.has(name)));
}

/** Names bound to an instance of a local class: `net = Net().to(device)` → `net`. */
function instancesOf(context: AnalysisContext, cls: Node): string[] {
  const className = cls.childForFieldName('name')?.text;
  if (!className) return [];
  const names: string[] = [];
  for (const assignment of context.nodesOfType('assignment')) {
    const right = assignment.childForFieldName('right');
    const left = dottedName(assignment.childForFieldName('left'));
    if (left && right?.type === 'call' && calleeName(stripSameModel(right)) === className) names.push(left);
  }
  return names;
}

/** Answers of steppedModel by optimizer node, once per analysis: every autocast region of a loop asks again. */
const steppedModelsOf = new WeakMap<AnalysisContext, Map<number, string | null>>();

function steppedModel(context: AnalysisContext, optimizer: Node): string | null {
  let known = steppedModelsOf.get(context);
  if (!known) steppedModelsOf.set(context, (known = new Map()));
  let model = known.get(optimizer.id);
  if (model === undefined) {
    model = findSteppedModel(context, optimizer);
    known.set(optimizer.id, model);
  }
  return model;
}

/** `opt` → the model in `opt = Adam(model.parameters())` / `params = [p for p in model.parameters() …]`. */
function findSteppedModel(context: AnalysisContext, optimizer: Node): string | null {
  if (optimizer.type !== 'identifier') return null;
  const definition = context.values().definitionOf(optimizer);
  if (definition?.type !== 'call') return null;
  const first = positionalArguments(definition)[0] ?? keywordValue(definition, 'params');
  if (!first) return null;
  const source = first.type === 'identifier' ? context.values().definitionOf(first) ?? first : first;
  const parameterCalls = [source, ...descendantsOfType(source, 'call')].filter(
    (node) => node.type === 'call' && (calleeMethod(node) === 'parameters' || calleeMethod(node) === 'named_parameters'),
  );
  const receivers = new Set(parameterCalls.map((call) => dottedName(receiverOf(call))).filter((name): name is string => !!name));
  return receivers.size === 1 ? [...receivers][0]! : null;
}

/** For a parameter `name` of `fn`: the names its callers in this file pass for it (`train(model, …)` → `model`). */
function callerArguments(context: AnalysisContext, fn: Node, name: string): string[] {
  const fnName = fn.childForFieldName('name')?.text;
  const parameters = fn.childForFieldName('parameters')?.namedChildren.filter((p): p is Node => !!p) ?? [];
  const names = parameters.map(parameterNameOf);
  const index = names.indexOf(name);
  if (!fnName || index === -1) return [];
  const offset = names[0] === 'self' || names[0] === 'cls' ? 1 : 0;
  const found: string[] = [];
  for (const call of callsByMethod(context).get(fnName) ?? []) {
    if (contains(fn, call)) continue;
    const argument = keywordValue(call, name) ?? positionalArguments(call)[index - offset] ?? null;
    const argumentName = dottedName(argument);
    if (argumentName) found.push(argumentName);
  }
  return found;
}

/** The file's calls by the method they call (`train` → every `train(…)` / `x.train(…)`), once per analysis. */
const callsByMethodOf = new WeakMap<AnalysisContext, Map<string, Node[]>>();

function callsByMethod(context: AnalysisContext): Map<string, Node[]> {
  let byMethod = callsByMethodOf.get(context);
  if (!byMethod) {
    byMethod = new Map();
    for (const call of context.calls()) {
      const method = calleeMethod(call);
      if (!method) continue;
      const list = byMethod.get(method);
      if (list) list.push(call);
      else byMethod.set(method, [call]);
    }
    callsByMethodOf.set(context, byMethod);
  }
  return byMethod;
}

/** `left ← source` re-bindings of a model name (`model = DDP(model)`), once per analysis: every seed's group reads them. */
const aliasLinksOf = new WeakMap<AnalysisContext, Array<[string, string]>>();

function aliasLinks(context: AnalysisContext): Array<[string, string]> {
  let links = aliasLinksOf.get(context);
  if (!links) {
    links = [];
    for (const assignment of context.nodesOfType('assignment')) {
      const right = assignment.childForFieldName('right');
      // Most assignments are not a move or a wrap: one text test spares the callee lookups for them.
      if (right?.type !== 'call' || !REBINDING_TEXT.test(right.text)) continue;
      const source = wrappedName(context, right);
      const left = source ? dottedName(assignment.childForFieldName('left')) : null;
      if (left && source && left !== source) links.push([left, source]);
    }
    aliasLinksOf.set(context, links);
  }
  return links;
}

/** A model name with every name it is wrapped, moved or re-bound as: `model = DDP(model)`, `net = model.cuda()`. */
function aliasGroup(context: AnalysisContext, seed: string): Set<string> {
  const links = aliasLinks(context);
  const group = new Set([seed]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [a, b] of links) {
      if (group.has(a) !== group.has(b)) {
        group.add(a);
        group.add(b);
        grew = true;
      }
    }
  }
  return group;
}

/** The name an expression re-binds: `model` in `DDP(model)`, `model.cuda()`, `torch.compile(model.to(device))`. */
function wrappedName(context: AnalysisContext, expression: Node | null, depth = 0): string | null {
  if (!expression || depth > MAX_DEPTH) return null;
  if (expression.type === 'identifier' || expression.type === 'attribute') return null;
  if (expression.type !== 'call') return null;
  const method = calleeMethod(expression);
  const receiver = receiverOf(expression);
  if (method && SAME_MODEL_METHODS.has(method) && receiver) {
    return receiver.type === 'call' ? wrappedName(context, receiver, depth + 1) : dottedName(receiver);
  }
  if (WRAPPER.test(context.qualifiedCallee(expression) ?? '')) {
    const first = positionalArguments(expression)[0] ?? null;
    return first?.type === 'call' ? wrappedName(context, first, depth + 1) : dottedName(first);
  }
  return null;
}

/** Whether the models of a group are convolutional, from how the file builds them. */
export function groupVerdict(context: AnalysisContext, group: ReadonlySet<string>): ConvolutionalVerdict {
  const verdicts: ConvolutionalVerdict[] = [];
  const byTarget = assignmentsByTarget(context);
  const assignments = [...group].flatMap((name) => byTarget.get(name) ?? []).sort((a, b) => a.startIndex - b.startIndex);
  for (const assignment of assignments) {
    const right = assignment.childForFieldName('right');
    if (!right || wrappedName(context, right) !== null) continue;
    verdicts.push(expressionVerdict(context, stripSameModel(right), 0));
  }
  return combine(verdicts, 'unknown');
}

/** Assignments by the name they bind (`model`, `self.net`), once per analysis: every group's verdict reads them. */
const assignmentsByTargetOf = new WeakMap<AnalysisContext, Map<string, Node[]>>();

function assignmentsByTarget(context: AnalysisContext): Map<string, Node[]> {
  let byTarget = assignmentsByTargetOf.get(context);
  if (!byTarget) {
    byTarget = new Map();
    for (const assignment of context.nodesOfType('assignment')) {
      const left = dottedName(assignment.childForFieldName('left'));
      if (!left) continue;
      const list = byTarget.get(left);
      if (list) list.push(assignment);
      else byTarget.set(left, [assignment]);
    }
    assignmentsByTargetOf.set(context, byTarget);
  }
  return byTarget;
}

function stripSameModel(expression: Node): Node {
  let current = expression;
  for (;;) {
    const method = current.type === 'call' ? calleeMethod(current) : null;
    const receiver = current.type === 'call' ? receiverOf(current) : null;
    if (!method || !SAME_MODEL_METHODS.has(method) || receiver?.type !== 'call') return current;
    current = receiver;
  }
}

/** Conv if any part is; not-conv only when every part is known. */
function combine(verdicts: readonly ConvolutionalVerdict[], empty: ConvolutionalVerdict): ConvolutionalVerdict {
  if (verdicts.includes('conv')) return 'conv';
  if (verdicts.length === 0) return empty;
  return verdicts.includes('unknown') ? 'unknown' : 'not-conv';
}

function expressionVerdict(context: AnalysisContext, expression: Node, depth: number): ConvolutionalVerdict {
  if (expression.type !== 'call' || depth > MAX_DEPTH) return 'unknown';
  const known = libraryVerdict(context, expression);
  if (known) return known;
  const name = calleeName(expression);
  const local = name && !name.includes('.') ? localDefinition(context, name) : null;
  if (local) return scopeVerdict(context, local, depth + 1);
  const qualified = context.qualifiedCallee(expression) ?? '';
  if (CONTAINERS.test(qualified)) {
    const parts = positionalArguments(expression).map((argument) =>
      argument.type === 'call' ? expressionVerdict(context, argument, depth + 1) : argument.type === 'list' ? combine(argument.namedChildren.filter((c): c is Node => !!c).map((c) => expressionVerdict(context, c, depth + 1)), 'not-conv') : 'unknown',
    );
    return combine(parts, 'not-conv');
  }
  // Other torch.nn layers (Linear, LSTM, Transformer…) are not 2-D convolutions.
  if (qualified.startsWith('torch.nn.')) return 'not-conv';
  return 'unknown';
}

/** What a call's name alone says: `nn.Conv2d`, a torchvision CNN factory, a timm model id. */
function libraryVerdict(context: AnalysisContext, call: Node): ConvolutionalVerdict | null {
  const qualified = context.qualifiedCallee(call) ?? '';
  if (/(^|\.)Conv2d$/.test(qualified) && /^torch\.nn\.|^nn\.|^Conv2d$/.test(qualified)) return 'conv';
  if (CNN_FACTORY.test(qualified) && /torchvision|models|segmentation_models/.test(qualified)) return 'conv';
  if (/^timm\.create_model$/.test(qualified)) {
    const id = positionalArguments(call)[0];
    const literal = id ? stringLiteralValue(id) : null;
    if (literal === null) return 'unknown';
    return NOT_CNN.test(literal) ? 'not-conv' : 'conv';
  }
  return null;
}

function localDefinition(context: AnalysisContext, name: string): Node | null {
  for (const type of ['class_definition', 'function_definition'] as const) {
    for (const definition of context.nodesOfType(type)) {
      if (definition.childForFieldName('name')?.text === name) return definition;
    }
  }
  return null;
}

/**
 * A local class or factory function: conv when it builds a convolution (itself or through other local classes);
 * unknown when it builds something this file cannot see into (an imported model class or factory).
 */
function scopeVerdict(context: AnalysisContext, definition: Node, depth: number): ConvolutionalVerdict {
  const verdicts: ConvolutionalVerdict[] = [];
  const superclasses = definition.type === 'class_definition' ? definition.childForFieldName('superclasses') : null;
  for (const base of superclasses?.namedChildren ?? []) {
    const baseName = base ? dottedName(base) : null;
    const local = baseName && !baseName.includes('.') ? localDefinition(context, baseName) : null;
    if (local && local.id !== definition.id) verdicts.push(depth > MAX_DEPTH ? 'unknown' : scopeVerdict(context, local, depth + 1));
  }
  for (const call of context.callsWithin(definition)) {
    const known = libraryVerdict(context, call);
    if (known) {
      verdicts.push(known);
      continue;
    }
    const name = calleeName(call);
    if (!name) continue;
    const local = !name.includes('.') ? localDefinition(context, name) : null;
    if (local) {
      if (local.id !== definition.id && !contains(definition, local)) verdicts.push(depth > MAX_DEPTH ? 'unknown' : scopeVerdict(context, local, depth + 1));
      continue;
    }
    if (isForeignModelConstructor(context, name)) verdicts.push('unknown');
  }
  return combine(verdicts, 'not-conv');
}

/** An imported, non-torch class or model factory (`timm.create_model`, `AutoModel.from_pretrained`, `MaskRCNNHeads`). */
function isForeignModelConstructor(context: AnalysisContext, name: string): boolean {
  const head = name.split('.')[0]!;
  if (!context.imports().binds(head)) return false;
  const qualified = context.imports().qualify(name);
  if (qualified.startsWith('torch.')) return false;
  const last = qualified.slice(qualified.lastIndexOf('.') + 1);
  return /^[A-Z]/.test(last) || /create_model|from_pretrained|build|get_model/.test(last);
}
