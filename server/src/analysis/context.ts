/**
 * Everything a rule may ask about one Python file, computed lazily and at most once per analysis:
 * the shared predicates of the rule catalogue (GPU evidence, step loops, grad mode, frameworks,
 * value resolution, debug gating) and text helpers for building fixes.
 */
import type { Node, Tree } from 'web-tree-sitter';
import { isDebugGated } from './debugGate';
import { detectFrameworks, type Framework } from './frameworks';
import { findGpuEvidence, type GpuEvidence } from './gpuEvidence';
import { GradMode } from './gradMode';
import { ImportTable } from './imports';
import { calleeMethod, calleeName, descendantsOfType, positionalArguments, receiverOf } from './syntax';
import { findStepLoops, type StepLoop } from './trainingLoop';
import { ValueResolver } from './values';
import { extractRun, type RunFacts } from '../estimates/extract';

function lazy<T>(compute: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => (cached ??= { value: compute() }).value;
}

const MODEL_WRAPPERS = /(^|\.)(DataParallel|DistributedDataParallel|DDP|FSDP|FullyShardedDataParallel|compile)$/;

export class AnalysisContext {
  readonly root: Node;

  constructor(
    readonly tree: Tree,
    readonly text: string,
    readonly uri: string,
  ) {
    this.root = tree.rootNode;
  }

  readonly lines = lazy(() => this.text.split(/\r?\n/));
  lineText(line: number): string {
    return this.lines()[line] ?? '';
  }

  readonly calls = lazy(() => descendantsOfType(this.root, 'call'));
  readonly imports = lazy(() => new ImportTable(this.root));
  readonly values = lazy(() => new ValueResolver(this.root));
  readonly gpu = lazy((): GpuEvidence => findGpuEvidence(this.calls(), this.values()));
  readonly stepLoops = lazy((): StepLoop[] => findStepLoops(this.root));
  readonly gradMode = lazy(() => new GradMode(this.calls()));
  readonly frameworks = lazy((): Set<Framework> => detectFrameworks(this.calls(), this.imports()));
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
    for (const assignment of descendantsOfType(this.root, 'assignment')) {
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
