import type { Node } from 'web-tree-sitter';
import type { TextEdit } from 'vscode-languageserver-types';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument, removeStatement } from '../analysis/edits';
import { argumentList, calleeMethod, firstLineRange, keywordArgument, keywordValue, positionalArguments, receiverOf, rangeOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const DETERMINISTIC_FACTORIES = new Set([
  'zeros', 'ones', 'empty', 'full', 'arange', 'range', 'eye', 'linspace', 'logspace', 'zeros_like', 'ones_like', 'empty_like', 'full_like', 'tril_indices', 'triu_indices',
]);
const RANDOM_FACTORIES = new Set(['rand', 'randn', 'randint', 'randperm', 'rand_like', 'randn_like', 'randint_like']);
/** Legacy typed constructors: with sizes only they allocate uninitialised CPU memory (`torch.FloatTensor(n, d)`). */
const LEGACY_CONSTRUCTORS = /^(Tensor|FloatTensor|DoubleTensor|HalfTensor|BFloat16Tensor|LongTensor|IntTensor|ShortTensor|ByteTensor|BoolTensor)$/;
/** Methods between the factory and the move that keep it a fresh constant: fills and dtype conversions. */
const IN_PLACE_FILLS = new Set(['fill_', 'zero_', 'normal_', 'uniform_', 'random_', 'bernoulli_', 'exponential_']);
const DTYPE_CONVERSIONS = new Set(['float', 'double', 'half', 'bfloat16', 'long', 'int', 'short', 'bool', 'byte']);
const DEVICE_NAME = /(^|_|\.)(device|dev|rank|local_rank|gpu|gpu_id)$/i;
const DTYPE_EXPRESSION = /^torch\.(float|double|half|bfloat16|long|int|short|bool|uint8|int8|int16|int32|int64|float16|float32|float64|complex\w*)$|(^|\.)dtype$/;

/** Where a factory may be written, for a text prefilter: `zeros(`, `randn_like(`, `.range(`, `FloatTensor(` (not `ToTensor(`). */
const FACTORY_TEXT = /\b(?:zeros|ones|empty|full|arange|eye|linspace|logspace|rand|randn|randint|randperm|tril_indices|triu_indices)(?:_like)?\s*\(|\.range\s*\(|\b(?:Float|Double|Half|BFloat16|Long|Int|Short|Byte|Bool)?Tensor\s*\(/g;
/** A factory re-assigned before its move sits on one of the few lines above it. */
const REASSIGNMENT_REACH = 8;

interface Move {
  /** The moving call (`.cuda()`, `.to(device)`, `.type_as(x)`). */
  call: Node;
  /** Keyword arguments the factory needs instead: `device=device`, `dtype=x.dtype`. */
  keywords: string[];
  /** Only the device changes (no dtype): fills and dtype conversions in between may stay. */
  deviceOnly: boolean;
}

export const cpuTensorThenMove: Rule = {
  meta: {
    id: 'GA305',
    slug: 'cpu-tensor-then-move',
    title: 'Tensor built on the CPU, then copied to the GPU',
    category: 'training-loop',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'torch.zeros(n).cuda() allocates and fills the tensor in host memory, then pays a host-to-device copy that synchronises with the GPU; inside a training step that happens every iteration. The PyTorch Tuning Guide recommends creating tensors directly on the target device, the PyTorch profiler reports the pattern as an extra CUDA copy, and Lightning\'s speed guide says: "Construct tensors on the device directly to avoid CPU->Device transfer."',
    fix: 'Pass the device to the factory: torch.zeros(n, device=device), torch.randn(b, d, device=x.device, dtype=x.dtype); in a LightningModule use device=self.device or register_buffer.',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Create tensors directly on the target device', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'PyTorch profiler pattern matcher (ExtraCUDACopyPattern)', url: 'https://github.com/pytorch/pytorch/blob/main/torch/profiler/_pattern_matcher.py', year: 2024 },
      { title: 'Lightning — Speed up model training: Things to avoid', url: 'https://lightning.ai/docs/pytorch/stable/advanced/speed.html', year: 2024 },
    ],
  },
  check(context) {
    if (!context.usesTorch()) return [];
    const text = context.text;
    if (!text.includes('.cuda(') && !text.includes('.to(') && !text.includes('.type_as(')) return [];
    const rows = factoryRows(text);
    if (!rows) return [];
    let onAccelerator: boolean | undefined;
    const findings: RuleFinding[] = [];
    for (const call of context.calls()) {
      const method = calleeMethod(call);
      if (method !== 'cuda' && method !== 'to' && method !== 'type_as') continue;
      if (!nearFactoryText(rows, call.startPosition.row)) continue;
      // Structure first (cheap): most `.to(device)` calls move data, not a fresh factory result.
      const chained = chainedFactory(context, call);
      const reassigned = chained ? null : reassignedFactory(context, call);
      const factory = chained?.factory ?? reassigned;
      if (!factory) continue;
      const move = moveOf(context, call);
      if (!move) continue;
      // A dtype conversion between the factory and a move that also sets the dtype would be reordered by the fix.
      if (chained && !move.deviceOnly && chained.between.some((node) => DTYPE_CONVERSIONS.has(calleeMethod(node) ?? ''))) continue;
      // `.cuda()` shows the GPU by itself; `.to(device)` / `.type_as(x)` count only in a script that uses one.
      if (method !== 'cuda' && !(onAccelerator ??= acceleratorInUse(context))) continue;
      findings.push(finding(context, factory, move, chained ? chained.between : [], reassigned !== null));
    }
    return findings;
  },
};

/** Lines that mention a factory name (1) or not (0); null when none does. One pass over the text. */
function factoryRows(text: string): Uint8Array | null {
  let rows: Uint8Array | null = null;
  let row = 0;
  let scanned = 0;
  for (const match of text.matchAll(FACTORY_TEXT)) {
    for (let newline = text.indexOf('\n', scanned); newline !== -1 && newline < match.index; newline = text.indexOf('\n', newline + 1)) row++;
    scanned = match.index;
    rows ??= new Uint8Array(countLines(text));
    rows[row] = 1;
  }
  return rows;
}

function countLines(text: string): number {
  let lines = 1;
  for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', newline + 1)) lines++;
  return lines;
}

function nearFactoryText(rows: Uint8Array, row: number): boolean {
  for (let r = row; r >= 0 && r >= row - REASSIGNMENT_REACH; r--) if (rows[r]) return true;
  return false;
}

function acceleratorInUse(context: AnalysisContext): boolean {
  if (context.gpu().present) return true;
  const frameworks = context.frameworks();
  return frameworks.has('lightning') || frameworks.has('fabric') || frameworks.has('accelerate');
}

/** What the moving call moves to, or null when it is not a device move (`.to(torch.float16)`, `.cuda` of a module, `.to("cpu")`). */
function moveOf(context: AnalysisContext, call: Node): Move | null {
  const method = calleeMethod(call);
  const args = positionalArguments(call);
  if (method === 'cuda') {
    const index = args[0] ?? keywordValue(call, 'device');
    return { call, keywords: [`device=${index ? index.text : '"cuda"'}`], deviceOnly: true };
  }
  if (method === 'type_as') {
    const [other] = args;
    if (!other || !/^[\w.]+$/.test(other.text)) return null;
    return { call, keywords: [`device=${other.text}.device`, `dtype=${other.text}.dtype`], deviceOnly: false };
  }
  const device = keywordValue(call, 'device') ?? args[0] ?? null;
  if (!device || !isDevice(context, device)) return null;
  const dtype = keywordValue(call, 'dtype') ?? (keywordValue(call, 'device') ? args[0] : args[1]) ?? null;
  if (dtype && !DTYPE_EXPRESSION.test(dtype.text)) return null;
  if (keywordArgument(call, 'copy') || keywordArgument(call, 'memory_format')) return null;
  return { call, keywords: dtype ? [`device=${device.text}`, `dtype=${dtype.text}`] : [`device=${device.text}`], deviceOnly: !dtype };
}

/** A device, not a dtype or a tensor: `device`, `x.device`, `self.device`, `"cuda:0"`, `torch.device(...)`, `rank`. */
function isDevice(context: AnalysisContext, node: Node): boolean {
  if (node.type === 'integer') return true;
  if (node.type === 'call') return /(^|\.)device$/.test(node.childForFieldName('function')?.text ?? '');
  if (node.type === 'string' || node.type === 'identifier' || node.type === 'attribute') {
    if ((node.type === 'identifier' || node.type === 'attribute') && DEVICE_NAME.test(node.text) && !/cpu/i.test(node.text)) return true;
    const strings = context.values().possibleStrings(node);
    return !!strings && strings.size > 0 && [...strings].every((s) => /^(cuda|xpu|mps|npu|hpu)/.test(s));
  }
  return false;
}

interface Factory {
  call: Node;
  random: boolean;
  legacy: boolean;
}

const DATA_LITERALS = new Set(['list', 'tuple', 'list_comprehension', 'string', 'float']);

/** `torch.zeros(n)` (no device, no CPU generator, sizes rather than data for legacy constructors). */
function factoryCall(context: AnalysisContext, node: Node | null): Factory | null {
  if (node?.type !== 'call') return null;
  const qualified = context.qualifiedCallee(node) ?? '';
  if (!qualified.startsWith('torch.') || qualified.startsWith('torch.cuda.')) return null;
  const name = qualified.slice(qualified.lastIndexOf('.') + 1);
  if (qualified !== `torch.${name}`) return null;
  if (keywordArgument(node, 'device') || keywordArgument(node, 'generator') || keywordArgument(node, 'out') || keywordArgument(node, 'pin_memory')) return null;
  if (DETERMINISTIC_FACTORIES.has(name)) return { call: node, random: false, legacy: false };
  if (RANDOM_FACTORIES.has(name)) return { call: node, random: true, legacy: false };
  if (LEGACY_CONSTRUCTORS.test(name)) {
    // `torch.FloatTensor([0.2, 0.8])` holds data (the copy is unavoidable); only `torch.FloatTensor(n, d)` is a fresh buffer.
    // With two or more positional arguments a legacy constructor can only take sizes (data comes as one sequence).
    const args = positionalArguments(node);
    const sizes =
      (args.length >= 2 && args.every((arg) => !DATA_LITERALS.has(arg.type))) ||
      (args.length > 0 &&
        args.every((arg) => {
          if (arg.type === 'integer') return true;
          const value = context.values().resolve(arg);
          return value.kind === 'number';
        }));
    return sizes ? { call: node, random: false, legacy: true } : null;
  }
  return null;
}

/** `torch.zeros(n).cuda()`, `torch.arange(n).long().to(device)`, `torch.empty(b).fill_(v).type_as(x)`. */
function chainedFactory(context: AnalysisContext, call: Node): { factory: Node; between: Node[] } | null {
  const between: Node[] = [];
  for (let receiver = receiverOf(call); receiver; receiver = receiverOf(receiver)) {
    if (receiver.type !== 'call') return null;
    const factory = factoryCall(context, receiver);
    if (factory) return { factory: factory.call, between };
    const method = calleeMethod(receiver) ?? '';
    if (!IN_PLACE_FILLS.has(method) && !DTYPE_CONVERSIONS.has(method)) return null;
    between.push(receiver);
  }
  return null;
}

/** `z = torch.randn(b, d)` directly followed by `z = z.to(device)` (or `.cuda()`, `.type_as(x)`). */
function reassignedFactory(context: AnalysisContext, call: Node): Node | null {
  const receiver = receiverOf(call);
  const assignment = call.parent;
  if (receiver?.type !== 'identifier' || assignment?.type !== 'assignment') return null;
  if (assignment.childForFieldName('left')?.text !== receiver.text || assignment.childForFieldName('right')?.id !== call.id) return null;
  const statement = assignment.parent;
  if (statement?.type !== 'expression_statement') return null;
  let previous = statement.previousNamedSibling;
  while (previous?.type === 'comment') previous = previous.previousNamedSibling;
  const earlier = previous?.type === 'expression_statement' ? previous.namedChildren[0] : null;
  if (earlier?.type !== 'assignment' || earlier.childForFieldName('left')?.text !== receiver.text) return null;
  return factoryCall(context, earlier.childForFieldName('right'))?.call ?? null;
}

function finding(context: AnalysisContext, factoryNode: Node, move: Move, between: Node[], reassigned: boolean): RuleFinding {
  const factory = factoryCall(context, factoryNode)!;
  const moveText = `.${calleeMethod(move.call)}(${argumentList(move.call)?.text.slice(1, -1) ?? ''})`;
  const fixes: Fix[] = [];
  const fix = factory.legacy ? null : deviceFix(context, factory, move, between, reassigned);
  if (fix) fixes.push(fix);
  const advice = factory.legacy
    ? `use torch.empty(…, ${move.keywords.join(', ')}) instead of the legacy constructor`
    : `pass ${move.keywords.join(', ')} to the factory`;
  return {
    range: firstLineRange(factoryNode, (line) => context.lineText(line)),
    message: `${factoryNode.childForFieldName('function')?.text ?? 'This tensor'}(…) is built in host memory and then copied to the device with ${moveText}: ${advice}.`,
    fixes,
  };
}

/** Adds the device (and dtype) to the factory and drops the move: the chain's `.cuda()` or the re-assignment statement. */
function deviceFix(context: AnalysisContext, factory: Factory, move: Move, between: Node[], reassigned: boolean): Fix | null {
  if (!move.deviceOnly && between.length > 0) return null;
  const keywords = move.keywords.filter((keyword) => !keywordArgument(factory.call, keyword.split('=')[0]!));
  if (keywords.length !== move.keywords.length && !move.deviceOnly) return null;
  const add = addKeywordArgument(context, factory.call, keywords.join(', '));
  if (!add) return null;
  let drop: TextEdit | null;
  if (reassigned) {
    const statement = move.call.parent?.parent;
    drop = statement ? removeStatement(context, statement) : null;
  } else {
    // Cut `.cuda(...)` off the chain: from the end of its receiver to the end of the call.
    const receiver = receiverOf(move.call)!;
    drop = { range: { start: rangeOf(receiver).end, end: rangeOf(move.call).end }, newText: '' };
  }
  if (!drop) return null;
  const title = `Create it on the device: ${keywords.join(', ')}`;
  return factory.random
    ? { title: `${title} (changes the random numbers: drawn by the device's generator)`, preferred: false, edits: [add, drop] }
    : { title, preferred: true, edits: [add, drop] };
}
