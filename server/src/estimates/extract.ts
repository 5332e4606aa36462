/**
 * RUN-EXTRACTION: what a careful reader can tell about the size of the training run a script describes —
 * the model (and its size from the tables), the dataset (and its training-split size), epochs or steps,
 * batch size, gradient accumulation, sequence length, precision and device count — each with where it
 * was read. Pure: the syntax tree and the value resolver in, facts out; no settings, no estimate.
 */
import type { Node } from 'web-tree-sitter';
import {
  loadTables,
  resolveDataset,
  resolveLanguageModel,
  resolveVisionModel,
  type DatasetRow,
  type LanguageModelRow,
  type Precision,
  type Tables,
  type TrainingDefaultRow,
  type VisionModelRow,
} from '../../../shared/src/carbon/index';
import type { AnalysisContext } from '../analysis/context';
import { huggingFaceArgumentCalls, lightningTrainerCalls } from '../analysis/frameworks';
import { calleeMethod, calleeName, calleeOf, descendantsOfType, keywordValue, positionalArguments, receiverOf } from '../analysis/syntax';
import type { Value } from '../analysis/values';

/** A value read from the script, with where it was read (shown in the estimate's assumptions). */
export interface Fact<T> {
  value: T;
  /** `TrainingArguments(num_train_epochs=3)`, `argparse default of --epochs`, `shared/data/training-defaults.json`… */
  from: string;
  /** 0-based line of the expression it was read from; null for framework defaults. */
  line: number | null;
  /** Set when the value is a framework default from training-defaults.json rather than the script. */
  defaultRow?: TrainingDefaultRow;
}

export type ModelFact =
  | { kind: 'language'; name: string; row: LanguageModelRow; line: number }
  | { kind: 'vision'; name: string; row: VisionModelRow; line: number }
  /** A model the tables do not know: a custom `nn.Module` or an unknown checkpoint. */
  | { kind: 'unknown'; name: string; line: number };

export type DatasetFact = { kind: 'known'; name: string; row: DatasetRow; line: number } | { kind: 'unknown'; name: string; line: number };

/** `# green-ai: parameters=1.2e6 samples=60000` — values the user states in the script. */
export const HINT_KEYS = ['parameters', 'tokens', 'samples', 'flops', 'hours', 'epochs', 'steps', 'seq-length', 'batch-size', 'devices'] as const;
export type HintKey = (typeof HINT_KEYS)[number];

export interface RunFacts {
  /** Where the lens goes: `trainer.train()`, `trainer.fit(...)`, `Trainer(...)`, or the outermost loop around a step loop. */
  entry: Node | null;
  model: ModelFact | null;
  dataset: DatasetFact | null;
  epochs: Fact<number> | null;
  maxSteps: Fact<number> | null;
  batchSize: Fact<number> | null;
  gradAccumulation: Fact<number> | null;
  seqLength: Fact<number> | null;
  precision: Fact<Precision>;
  /** Accelerators per run when the script says (Lightning `devices=8`, `torchrun --nproc_per_node=8`, `#SBATCH --gpus=8`). */
  devices: Fact<number> | null;
  /** The script runs one process per GPU (DDP, torchrun) or spreads over all visible GPUs, without saying how many. */
  multiDevice: string | null;
  hints: Partial<Record<HintKey, Fact<number>>>;
  /** Whether the script trains at all (a Trainer, a step loop, a Lightning fit). */
  trains: boolean;
}

const line = (node: Node) => node.startPosition.row;
const snippet = (node: Node) => (node.text.length > 60 ? `${node.text.slice(0, 57)}…` : node.text);

export function extractRun(context: AnalysisContext, tables: Tables | null = shippedTables()): RunFacts {
  const calls = context.calls();
  const hfArgs = huggingFaceArgumentCalls(calls, context.imports());
  const lightning = lightningTrainerCalls(calls, context.imports());
  const hfTrainer = calls.find((call) => /(^|\.)(Trainer|Seq2SeqTrainer|SFTTrainer)$/.test(context.qualifiedCallee(call) ?? '') && isHuggingFace(context, call)) ?? null;
  const facts: RunFacts = {
    entry: null,
    model: tables ? findModel(context, tables) : null,
    dataset: tables ? findDataset(context, tables) : null,
    epochs: null,
    maxSteps: null,
    batchSize: null,
    gradAccumulation: null,
    seqLength: findSequenceLength(context),
    precision: findPrecision(context, hfArgs, lightning),
    devices: findDevices(context, lightning),
    multiDevice: findMultiDevice(context),
    hints: findHints(context),
    trains: false,
  };
  const defaults = tables?.trainingDefaults.rows ?? [];

  if (hfArgs[0]) {
    const call = hfArgs[0];
    facts.epochs = argumentFact(context, call, 'num_train_epochs') ?? frameworkDefault(defaults, 'transformers', 'num_train_epochs');
    const steps = argumentFact(context, call, 'max_steps');
    facts.maxSteps = steps && steps.value > 0 ? steps : null;
    facts.batchSize = argumentFact(context, call, 'per_device_train_batch_size') ?? frameworkDefault(defaults, 'transformers', 'per_device_train_batch_size');
    facts.gradAccumulation = argumentFact(context, call, 'gradient_accumulation_steps') ?? frameworkDefault(defaults, 'transformers', 'gradient_accumulation_steps');
    facts.seqLength ??= argumentFact(context, call, 'max_seq_length') ?? argumentFact(context, call, 'max_length');
  } else if (lightning[0]) {
    const call = lightning[0];
    const steps = argumentFact(context, call, 'max_steps');
    facts.maxSteps = steps && steps.value > 0 ? steps : null;
    facts.epochs = argumentFact(context, call, 'max_epochs') ?? (facts.maxSteps ? null : frameworkDefault(defaults, 'lightning', 'max_epochs'));
    facts.gradAccumulation = argumentFact(context, call, 'accumulate_grad_batches');
  }

  const stepLoops = context.stepLoops();
  facts.epochs ??= epochLoopFact(context) ?? namedFact(context, /^(num_)?(train_)?epochs$|^n_epochs$|^max_epochs$/i);
  facts.maxSteps ??= namedFact(context, /^(max|num|total)_(iters|steps|iterations)$/i);
  facts.batchSize ??= trainingLoaderBatch(context, defaults) ?? namedFact(context, /^(per_device_)?(train_)?batch_size$/i);

  // Entry point: the call that starts training, else the outermost loop around a step loop.
  const fitCall = calls.find((call) => {
    const method = calleeMethod(call);
    if (method !== 'train' && method !== 'fit') return false;
    const receiver = receiverOf(call);
    if (!receiver) return false;
    if (receiver.type === 'call') return isTrainerCall(context, receiver);
    const bound = receiver.type === 'identifier' ? context.values().definitionOf(receiver) : null;
    return !!bound && bound.type === 'call' && isTrainerCall(context, bound);
  });
  const trainerCall = hfTrainer ?? lightning[0] ?? null;
  const loop = stepLoops[0] ? outermostLoop(stepLoops[0].loop) : null;
  facts.entry = fitCall ?? trainerCall ?? loop;
  facts.trains = facts.entry !== null;
  return facts;
}

function shippedTables(): Tables | null {
  const loaded = loadTables();
  return loaded.ok ? loaded.value : null;
}

function isHuggingFace(context: AnalysisContext, call: Node): boolean {
  const qualified = context.qualifiedCallee(call) ?? '';
  return qualified.startsWith('transformers') || qualified.startsWith('trl') || (!qualified.includes('.') && context.imports().importsModule('transformers'));
}

function isTrainerCall(context: AnalysisContext, call: Node): boolean {
  return /(^|\.)(Trainer|Seq2SeqTrainer|SFTTrainer|DPOTrainer|Fabric)$/.test(context.qualifiedCallee(call) ?? '');
}

function outermostLoop(loop: Node): Node {
  let outer = loop;
  for (let p = loop.parent; p; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'class_definition') break;
    if (p.type === 'for_statement' || p.type === 'while_statement') outer = p;
  }
  return outer;
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** A positive number from an expression: literals, constants, argparse defaults, and simple arithmetic on them. */
export function numberOf(context: AnalysisContext, node: Node | null, depth = 0): number | null {
  if (!node || depth > 6) return null;
  if (node.type === 'binary_operator') {
    const left = numberOf(context, node.childForFieldName('left'), depth + 1);
    const right = numberOf(context, node.childForFieldName('right'), depth + 1);
    const operator = node.childForFieldName('operator')?.text;
    if (left === null || right === null) return null;
    switch (operator) {
      case '+': return left + right;
      case '-': return left - right;
      case '*': return left * right;
      case '//': return right === 0 ? null : Math.floor(left / right);
      case '/': return right === 0 ? null : left / right;
      default: return null;
    }
  }
  if (node.type === 'identifier') {
    const bound = context.values().definitionOf(node);
    if (bound && bound.type !== 'identifier') return numberOf(context, bound, depth + 1);
  }
  const value: Value = context.values().resolve(node);
  return value.kind === 'number' ? value.value : null;
}

function argumentFact(context: AnalysisContext, call: Node, keyword: string): Fact<number> | null {
  const lookup = context.values().argument(call, keyword);
  if (lookup.state !== 'present') return null;
  const value = numberOf(context, lookup.node);
  if (value === null || value <= 0) return null;
  const name = calleeName(call)?.split('.').pop() ?? 'call';
  return { value, from: `${name}(${keyword}=${snippet(lookup.node)})`, line: line(lookup.node) };
}

function frameworkDefault(rows: readonly TrainingDefaultRow[], framework: TrainingDefaultRow['framework'], key: string): Fact<number> | null {
  const row = rows.find((r) => r.framework === framework && r.key === key);
  return row ? { value: row.value, from: `${framework} default for ${key}`, line: null, defaultRow: row } : null;
}

/** A module constant or argparse option named like `epochs`, `EPOCHS`, `--num-epochs`. */
function namedFact(context: AnalysisContext, pattern: RegExp): Fact<number> | null {
  for (const assignment of context.nodesOfType('assignment')) {
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'identifier' || !pattern.test(left.text)) continue;
    const value = numberOf(context, assignment.childForFieldName('right'));
    if (value !== null && value > 0) return { value, from: `${left.text} = ${snippet(assignment.childForFieldName('right')!)}`, line: line(assignment) };
  }
  for (const call of context.calls()) {
    if (calleeMethod(call) !== 'add_argument') continue;
    const flag = positionalArguments(call).map((arg) => context.values().resolve(arg)).find((v) => v.kind === 'string' && v.value.startsWith('--'));
    if (flag?.kind !== 'string' || !pattern.test(flag.value.replace(/^-+/, '').replace(/-/g, '_'))) continue;
    const value = numberOf(context, keywordValue(call, 'default'));
    if (value !== null && value > 0) return { value, from: `argparse default of ${flag.value}`, line: line(call) };
  }
  return null;
}

/** `for epoch in range(N)` / `range(1, N + 1)` around the training. */
function epochLoopFact(context: AnalysisContext): Fact<number> | null {
  for (const loop of context.nodesOfType('for_statement')) {
    const target = loop.childForFieldName('left')?.text ?? '';
    if (!/epoch/i.test(target)) continue;
    const iterable = loop.childForFieldName('right');
    if (iterable?.type !== 'call' || calleeName(iterable) !== 'range') continue;
    const args = positionalArguments(iterable);
    const values = args.map((arg) => numberOf(context, arg));
    if (values.some((v) => v === null)) continue;
    const [a, b] = values as number[];
    const count = args.length === 1 ? a! : args.length >= 2 ? b! - a! : 0;
    if (count > 0) return { value: count, from: `for ${target} in ${snippet(iterable)}`, line: line(loop) };
  }
  return null;
}

/** `batch_size=` of the DataLoader that is not an evaluation loader. */
function trainingLoaderBatch(context: AnalysisContext, defaults: readonly TrainingDefaultRow[]): Fact<number> | null {
  for (const call of context.calls()) {
    if (!/(^|\.)DataLoader$/.test(context.qualifiedCallee(call) ?? '')) continue;
    if (isEvaluationLoader(call)) continue;
    const lookup = context.values().argument(call, 'batch_size', 1);
    if (lookup.state === 'absent') return frameworkDefault(defaults, 'torch', 'batch_size');
    if (lookup.state !== 'present') return null;
    const value = numberOf(context, lookup.node);
    if (value !== null && value > 0) return { value, from: `DataLoader(batch_size=${snippet(lookup.node)})`, line: line(lookup.node) };
    return null;
  }
  return null;
}

/** A loader bound to (or built from) a name that says validation or test. */
export function isEvaluationLoader(call: Node): boolean {
  const EVAL = /(^|_)(val|valid|validation|test|eval|evaluation|dev)(_|$|\d|loader|set|data)/i;
  const statement = call.parent?.type === 'assignment' ? call.parent : null;
  const target = statement?.childForFieldName('left')?.text ?? '';
  if (EVAL.test(target)) return true;
  const dataset = positionalArguments(call)[0] ?? keywordValue(call, 'dataset');
  return !!dataset && EVAL.test(dataset.text.replace(/[^A-Za-z0-9_]/g, '_'));
}

// ---------------------------------------------------------------------------------------------
// Model and dataset

const NOT_A_MODEL = /(Tokenizer|Config|Processor|FeatureExtractor|ImageProcessor|Dataset|Pipeline)/;

function findModel(context: AnalysisContext, tables: Tables): ModelFact | null {
  const values = context.values();
  let unknown: ModelFact | null = null;
  for (const call of context.calls()) {
    const method = calleeMethod(call);
    const callee = calleeOf(call);
    // transformers / timm / torchvision by name.
    if (method === 'from_pretrained') {
      const receiver = receiverOf(call)?.text ?? '';
      if (NOT_A_MODEL.test(receiver)) continue;
      const name = stringArgument(context, call, 'pretrained_model_name_or_path', 0);
      if (!name) continue;
      const vision = resolveVisionModel(name.split('/').pop() ?? name, tables);
      if (vision.ok) return { kind: 'vision', name, row: vision.value, line: line(call) };
      const language = resolveLanguageModel(name, tables);
      if (language.ok) return { kind: 'language', name, row: language.value, line: line(call) };
      unknown ??= { kind: 'unknown', name, line: line(call) };
      continue;
    }
    const qualified = context.qualifiedCallee(call) ?? '';
    if (qualified === 'timm.create_model') {
      const name = stringArgument(context, call, 'model_name', 0);
      if (!name) continue;
      const vision = resolveVisionModel(name, tables);
      if (vision.ok) return { kind: 'vision', name, row: vision.value, line: line(call) };
      unknown ??= { kind: 'unknown', name, line: line(call) };
      continue;
    }
    const torchvision = /^torchvision\.models\.(\w+)$/.exec(qualified);
    if (torchvision && /^[a-z]/.test(torchvision[1]!)) {
      const vision = resolveVisionModel(torchvision[1]!, tables);
      if (vision.ok) return { kind: 'vision', name: torchvision[1]!, row: vision.value, line: line(call) };
      unknown ??= { kind: 'unknown', name: torchvision[1]!, line: line(call) };
      continue;
    }
    // `models.__dict__[args.arch]()` (the pytorch/examples ImageNet script).
    if (callee?.type === 'subscript' && /(^|\.)models\.__dict__$/.test(callee.childForFieldName('value')?.text ?? '')) {
      const key = values.resolve(callee.childForFieldName('subscript'));
      if (key.kind === 'string') {
        const vision = resolveVisionModel(key.value, tables);
        if (vision.ok) return { kind: 'vision', name: key.value, row: vision.value, line: line(call) };
        unknown ??= { kind: 'unknown', name: key.value, line: line(call) };
      }
    }
  }
  if (unknown) return unknown;
  // A model class defined in this file (`class Net(nn.Module)`) and instantiated.
  const classes = new Set(
    context.nodesOfType('class_definition')
      .filter((cls) => /Module|LightningModule|PreTrainedModel/.test(cls.childForFieldName('superclasses')?.text ?? ''))
      .map((cls) => cls.childForFieldName('name')?.text ?? ''),
  );
  for (const call of context.calls()) {
    const name = calleeName(call);
    if (name && classes.has(name)) return { kind: 'unknown', name, line: line(call) };
  }
  for (const name of context.modelNames()) {
    const bound = context.nodesOfType('assignment').find((a) => a.childForFieldName('left')?.text === name);
    if (!bound) continue;
    // `model = torch.compile(GPT(GPTConfig(...)))`: name the class that is instantiated.
    const built = descendantsOfType(bound, 'call').map((call) => calleeName(call)?.split('.').pop() ?? '').find((callee) => /^[A-Z]/.test(callee) && !/Config$/.test(callee));
    return { kind: 'unknown', name: built ?? name, line: line(bound) };
  }
  return null;
}

function stringArgument(context: AnalysisContext, call: Node, keyword: string, position: number): string | null {
  const lookup = context.values().argument(call, keyword, position);
  if (lookup.state !== 'present') return null;
  const value = context.values().resolve(lookup.node);
  return value.kind === 'string' ? value.value : null;
}

function findDataset(context: AnalysisContext, tables: Tables): DatasetFact | null {
  let unknown: DatasetFact | null = null;
  for (const call of context.calls()) {
    const qualified = context.qualifiedCallee(call) ?? '';
    if (/(^|\.)load_dataset$/.test(qualified)) {
      const path = stringArgument(context, call, 'path', 0);
      if (!path) continue;
      const config = stringArgument(context, call, 'name', 1);
      for (const name of config ? [`${path}/${config}`, config] : [path]) {
        const found = resolveDataset(name, tables);
        if (found.ok) return { kind: 'known', name: config ? `${path}/${config}` : path, row: found.value, line: line(call) };
      }
      unknown ??= { kind: 'unknown', name: config ? `${path}/${config}` : path, line: line(call) };
      continue;
    }
    const torchvision = /^torchvision\.datasets\.(\w+)$/.exec(qualified);
    if (torchvision) {
      const train = context.values().argument(call, 'train');
      if (train.state === 'present') {
        const value = context.values().resolve(train.node);
        if (value.kind === 'bool' && !value.value) continue;
      }
      const split = stringArgument(context, call, 'split', 99);
      if (split && split !== 'train') continue;
      const found = resolveDataset(torchvision[1]!, tables);
      if (found.ok) return { kind: 'known', name: torchvision[1]!, row: found.value, line: line(call) };
      unknown ??= { kind: 'unknown', name: torchvision[1]!, line: line(call) };
    }
  }
  return unknown;
}

// ---------------------------------------------------------------------------------------------
// Sequence length, precision, devices, hints

function findSequenceLength(context: AnalysisContext): Fact<number> | null {
  for (const call of context.calls()) {
    const method = calleeMethod(call) ?? '';
    if (!/tokeni[sz]er|^encode|^batch_encode/i.test(calleeName(call) ?? method)) continue;
    const node = keywordValue(call, 'max_length');
    const value = numberOf(context, node);
    if (node && value !== null && value > 0) return { value, from: `tokenizer max_length=${snippet(node)}`, line: line(node) };
  }
  return namedFact(context, /^(block_size|max_seq_len(gth)?|seq_len(gth)?|max_length|context_length|sequence_length)$/i);
}

function findPrecision(context: AnalysisContext, hfArgs: readonly Node[], lightning: readonly Node[]): Fact<Precision> {
  const values = context.values();
  const enabled = (call: Node, keyword: string) => {
    const lookup = values.argument(call, keyword);
    if (lookup.state !== 'present') return false;
    const value = values.resolve(lookup.node);
    return value.kind === 'bool' && value.value;
  };
  for (const call of hfArgs) {
    if (enabled(call, 'bf16')) return { value: 'bf16', from: 'TrainingArguments(bf16=True)', line: line(call) };
    if (enabled(call, 'fp16')) return { value: 'fp16', from: 'TrainingArguments(fp16=True)', line: line(call) };
  }
  for (const call of lightning) {
    const lookup = values.argument(call, 'precision');
    if (lookup.state !== 'present') continue;
    const value = values.resolve(lookup.node);
    const text = value.kind === 'string' ? value.value : value.kind === 'number' ? String(value.value) : '';
    if (/bf16/.test(text)) return { value: 'bf16', from: `Trainer(precision=${lookup.node.text})`, line: line(call) };
    if (/^16|fp16/.test(text)) return { value: 'fp16', from: `Trainer(precision=${lookup.node.text})`, line: line(call) };
  }
  let tf32: Fact<Precision> | null = null;
  for (const call of context.calls()) {
    const method = calleeMethod(call) ?? '';
    const qualified = context.qualifiedCallee(call) ?? '';
    if (method === 'Accelerator' || /(^|\.)Accelerator$/.test(qualified)) {
      const mixed = values.resolve(keywordValue(call, 'mixed_precision'));
      if (mixed.kind === 'string' && (mixed.value === 'bf16' || mixed.value === 'fp16' || mixed.value === 'fp8')) {
        return { value: mixed.value, from: `Accelerator(mixed_precision="${mixed.value}")`, line: line(call) };
      }
    }
    if (method === 'autocast' || method === 'GradScaler' || method === 'half' || method === 'bfloat16') {
      const dtype = keywordValue(call, 'dtype')?.text ?? '';
      const half = /float16|half/.test(dtype) && !/bfloat16/.test(dtype);
      return { value: half || method === 'half' ? 'fp16' : 'bf16', from: `${snippet(call)}`, line: line(call) };
    }
    if (method === 'set_float32_matmul_precision') {
      const mode = values.resolve(positionalArguments(call)[0] ?? null);
      if (mode.kind === 'string' && mode.value !== 'highest') tf32 = { value: 'tf32', from: snippet(call), line: line(call) };
    }
  }
  if (!tf32) {
    for (const assignment of context.nodesOfType('assignment')) {
      if (/allow_tf32$/.test(assignment.childForFieldName('left')?.text ?? '') && assignment.childForFieldName('right')?.type === 'true') {
        tf32 = { value: 'tf32', from: snippet(assignment), line: line(assignment) };
      }
    }
  }
  return tf32 ?? { value: 'fp32', from: 'no autocast, bf16/fp16 flag or half-precision model in the script', line: null };
}

function findDevices(context: AnalysisContext, lightning: readonly Node[]): Fact<number> | null {
  for (const call of lightning) {
    const fact = argumentFact(context, call, 'devices');
    if (fact) {
      const nodes = argumentFact(context, call, 'num_nodes');
      return nodes ? { ...fact, value: fact.value * nodes.value, from: `${fact.from} × ${nodes.from}` } : fact;
    }
  }
  const patterns: Array<[RegExp, string]> = [
    [/--nproc[_-]per[_-]node[= ](\d+)/, 'torchrun --nproc_per_node'],
    [/--num[_-]processes[= ](\d+)/, 'accelerate launch --num_processes'],
    [/#SBATCH\s+--gres=gpu(?::[\w-]+)?:(\d+)/, '#SBATCH --gres'],
    [/#SBATCH\s+--gpus(?:-per-node)?=(?:[\w-]+:)?(\d+)/, '#SBATCH --gpus'],
  ];
  for (const [pattern, label] of patterns) {
    const match = pattern.exec(context.text);
    if (!match) continue;
    const value = Number(match[1]);
    if (value > 0) return { value, from: `${label} ${value} in the script`, line: context.text.slice(0, match.index).split('\n').length - 1 };
  }
  return null;
}

function findMultiDevice(context: AnalysisContext): string | null {
  for (const call of context.calls()) {
    const name = calleeName(call) ?? '';
    if (/(^|\.)(DistributedDataParallel|DDP)$/.test(name)) return 'DistributedDataParallel';
    if (/(^|\.)DataParallel$/.test(name)) return 'nn.DataParallel (all visible GPUs)';
    if (calleeMethod(call) === 'init_process_group') return 'torch.distributed.init_process_group';
  }
  return null;
}

const HINT = /green-ai:\s*(?!ignore)(.+)$/;

function findHints(context: AnalysisContext): Partial<Record<HintKey, Fact<number>>> {
  const hints: Partial<Record<HintKey, Fact<number>>> = {};
  if (!context.text.includes('green-ai:')) return hints;
  for (const comment of context.nodesOfType('comment')) {
    const match = HINT.exec(comment.text);
    if (!match) continue;
    for (const pair of match[1]!.split(/[\s,;]+/)) {
      const [key, raw] = pair.split('=');
      const normalised = key?.toLowerCase().replace(/_/g, '-') as HintKey | undefined;
      if (!normalised || !HINT_KEYS.includes(normalised) || raw === undefined) continue;
      const value = Number(raw.replace(/_/g, ''));
      if (Number.isFinite(value) && value > 0) hints[normalised] = { value, from: `# green-ai: ${normalised}=${raw}`, line: line(comment) };
    }
  }
  return hints;
}
