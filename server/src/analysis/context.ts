/**
 * Everything a rule may ask about one Python file, computed lazily and at most once per analysis:
 * the shared predicates of the rule catalogue (GPU evidence, step loops, grad mode, frameworks,
 * value resolution, debug gating) and text helpers for building fixes.
 */
import type { Node, Tree } from 'web-tree-sitter';
import { isDebugGated } from './debugGate';
import { detectFrameworks, huggingFaceArgumentCalls, lightningTrainerCalls, type Framework } from './frameworks';
import { findGpuEvidence, type GpuEvidence } from './gpuEvidence';
import { GradMode } from './gradMode';
import { ImportTable } from './imports';
import { calleeMethod, calleeName, descendantsOfType, positionalArguments, receiverOf } from './syntax';
import { findStepLoops, type StepLoop } from './trainingLoop';
import { ValueResolver } from './values';
import { readConfigOverrides, type SiblingFileReader } from './configOverrides';
import { extractRun, type RunFacts } from '../estimates/extract';
import type { Settings } from '../../../shared/src/settings';

function lazy<T>(compute: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => (cached ??= { value: compute() }).value;
}

const INDEXED_TYPES = [
  'call', 'assignment', 'augmented_assignment', 'for_statement', 'while_statement', 'class_definition',
  'function_definition', 'comment', 'import_statement', 'import_from_statement',
] as const;
export type IndexedType = (typeof INDEXED_TYPES)[number];

const MODEL_WRAPPER_TEXT = /DataParallel|DDP|FSDP|compile/;
const MODEL_WRAPPERS = /(^|\.)(DataParallel|DistributedDataParallel|DDP|FSDP|FullyShardedDataParallel|compile)$/;

export class AnalysisContext {
  readonly root: Node;

  constructor(
    readonly tree: Tree,
    readonly text: string,
    readonly uri: string,
    /** The user's settings, for rules that read one (GA607 reads greenAI.hardware.gpu); absent outside the engine. */
    readonly settings?: Settings,
    /** Reads files next to this one (nanoGPT `config/*.py` overrides); provided by the CLI and server, absent in tests. */
    readonly siblingFiles?: SiblingFileReader,
  ) {
    this.root = tree.rootNode;
  }

  readonly lines = lazy(() => this.text.split(/\r?\n/));
  /** The file's line ending, for text that edits insert. */
  readonly newline = lazy(() => (this.text.includes('\r\n') ? '\r\n' : '\n'));

  lineText(line: number): string {
    return this.lines()[line] ?? '';
  }

  /**
   * Nodes of the types rules and extraction look for, gathered by one query over the tree: each separate
   * query walks the whole tree and marshals its results out of wasm, which dominated the analysis time.
   */
  private readonly index = lazy(() => {
    const buckets = new Map<string, Node[]>(INDEXED_TYPES.map((type) => [type, []]));
    for (const node of descendantsOfType(this.root, INDEXED_TYPES)) buckets.get(node.type)?.push(node);
    return buckets;
  });

  nodesOfType(type: IndexedType): readonly Node[] {
    return this.index().get(type) ?? [];
  }

  readonly calls = lazy(() => this.nodesOfType('call'));
  private readonly callStarts = lazy(() => Int32Array.from(this.calls(), (call) => call.startIndex));

  /** Calls inside `node` (document order), found by binary search over the indexed calls rather than a new query. */
  callsWithin(node: Node): Node[] {
    const starts = this.callStarts();
    const calls = this.calls();
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! < node.startIndex) lo = mid + 1;
      else hi = mid;
    }
    const end = node.endIndex;
    const result: Node[] = [];
    for (let i = lo; i < starts.length && starts[i]! < end; i++) {
      const call = calls[i]!;
      if (call.endIndex <= end) result.push(call);
    }
    return result;
  }
  readonly imports = lazy(() => new ImportTable([...this.nodesOfType('import_statement'), ...this.nodesOfType('import_from_statement')]));
  /** Globals that `config/*.py` files re-assign through `exec(open('configurator.py').read())`. */
  readonly configOverrides = lazy(() => readConfigOverrides(this.root, this.text, this.siblingFiles));
  readonly values = lazy(
    () =>
      new ValueResolver(this.root, () => this.calls(), () => this.nodesOfType('assignment'), () => this.configOverrides(), () => ({
        functions: this.nodesOfType('function_definition'),
        classes: this.nodesOfType('class_definition'),
      })),
  );
  readonly gpu = lazy((): GpuEvidence => findGpuEvidence(this.calls(), this.values(), this.text));
  readonly stepLoops = lazy((): StepLoop[] => findStepLoops(this.calls(), () => this.nodesOfType('function_definition')));
  readonly gradMode = lazy(() => new GradMode(this.calls()));
  readonly frameworks = lazy((): Set<Framework> => detectFrameworks(this.calls(), this.imports()));
  /** Lightning `Trainer(...)`/`Fabric(...)` calls, and Hugging Face `TrainingArguments`-style calls: several rules ask. */
  readonly lightningTrainers = lazy((): Node[] => lightningTrainerCalls(this.calls(), this.imports()));
  readonly huggingFaceArguments = lazy((): Node[] => huggingFaceArgumentCalls(this.calls(), this.imports()));
  /** The training run the script describes (model, data, epochs, precision…), for the estimate and the savings. */
  readonly runFacts = lazy((): RunFacts => extractRun(this));

  usesTorch(): boolean {
    return this.imports().importsModule('torch');
  }

  isGradDisabled(node: Node): boolean {
    return this.gradMode().isDisabledAt(node);
  }

  isDebugGated(node: Node): boolean {
    return isDebugGated(node);
  }

  /** Fully-qualified callee through the imports: `nn.DataParallel` → `torch.nn.DataParallel`. */
  qualifiedCallee(call: Node): string | null {
    return this.imports().qualifiedCallee(call);
  }

  /**
   * Names that hold a model: receivers of `.parameters()`/`.train()`/`.eval()`, and names bound to a
   * wrapper of one (`model = DDP(model)`, `model = torch.compile(model)`).
   */
  readonly modelNames = lazy((): Set<string> => {
    const names = new Set<string>();
    for (const call of this.calls()) {
      const method = calleeMethod(call);
      if (method === 'parameters' || method === 'train' || method === 'eval' || method === 'named_parameters') {
        const receiver = receiverOf(call);
        if (receiver && (receiver.type === 'identifier' || receiver.type === 'attribute')) names.add(receiver.text);
      }
    }
    for (const assignment of this.nodesOfType('assignment')) {
      // Only `x = Wrapper(model)` matters; testing the text first spares reading every assignment's fields.
      if (!MODEL_WRAPPER_TEXT.test(this.text.slice(assignment.startIndex, assignment.endIndex))) continue;
      const right = assignment.childForFieldName('right');
      const left = assignment.childForFieldName('left');
      if (right?.type !== 'call' || !left) continue;
      const wrapped = positionalArguments(right)[0];
      if (MODEL_WRAPPERS.test(calleeName(right) ?? '') && wrapped && names.has(wrapped.text)) names.add(left.text);
    }
    return names;
  });

  /** The file's indentation unit (four spaces unless the file says otherwise). */
  readonly indentUnit = lazy((): string => {
    for (const line of this.lines()) {
      if (line.startsWith('\t')) return '\t';
    }
    let smallest = Infinity;
    for (const line of this.lines()) {
      const match = /^( +)\S/.exec(line);
      if (match && match[1]!.length < smallest) smallest = match[1]!.length;
    }
    return Number.isFinite(smallest) && smallest <= 8 ? ' '.repeat(smallest) : '    ';
  });
}
