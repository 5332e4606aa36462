/**
 * Analyses the files of a `green-ai check` run, spread over threads when there are enough files to pay for
 * them: the main thread takes one share and worker threads the others (each loads its own parser, from wasm
 * modules compiled once); results come back in the input order. A worker that fails leaves its files to the
 * main thread, so nothing is lost.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Parser } from 'web-tree-sitter';
import type { Settings } from '../../../shared/src/settings';
import { analyzeConfig } from '../analysis/configEngine';
import { withJobFacts } from '../estimates/jobEstimate';
import { analyzePython, precheck, type AnalysisOutcome } from '../analysis/engine';
import { siblingFileReaderFor } from '../analysis/siblingFileReader';
import { configFormatOf } from '../configs/configFile';
import { compilePython, createPythonParser, type CompiledPython } from '../documents/pythonParser';
import { graphOf } from '../jobs/discover';
import { fileUri, SCHEDULER_FILE, type JobGraph } from '../jobs/graph';
import { diskReader } from '../jobs/reader';
import { analyzeNotebookText, type LocatedFinding } from '../notebooks/ipynb';

export interface FileResult {
  file: string;
  /** Notebook findings carry their cell; their ranges are within that cell. */
  findings: LocatedFinding[];
  /** Problems to print on stderr: unreadable file, a rule that threw. */
  errors: string[];
}

/** Below this many files per worker, starting workers costs more than it saves. */
const FILES_PER_WORKER = 40;
/**
 * An analysis allocates many short-lived node objects: a young generation larger than V8's default (semi-spaces of
 * 32 MB instead of 16) halves the number of scavenges of a worker (`node --trace-gc` on the benchmark tree).
 */
const YOUNG_GENERATION_MB = 96;

export function defaultJobs(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

export async function analyzeFiles(files: readonly string[], settings: Settings, jobs: number, onProgress?: (done: number) => void): Promise<FileResult[]> {
  const workers = Math.min(jobs, Math.floor(files.length / FILES_PER_WORKER));
  // The job graph over the batch scripts among the files (server/src/jobs/): configs are analysed with the jobs that run them.
  const schedulers = files.filter((file) => SCHEDULER_FILE.test(file)).map((file) => path.resolve(file));
  const graph = jobGraphOf(schedulers);
  // Workers run this same bundle; from TypeScript sources (tests) there is no bundle to start, so stay in-thread.
  if (workers < 2 || !__filename.endsWith('.js')) {
    const parser = await createPythonParser();
    return files.map((file, index) => {
      const result = analyzeFile(parser, file, settings, graph);
      onProgress?.(index + 1);
      return result;
    });
  }
  // This thread analyses the first share itself while `jobs - 1` workers take the others: a worker costs a thread
  // start, a bundle load and its own warm-up, and an idle main thread would only wait for them.
  const [ownShare = [], ...workerShares] = balance(files, workers);
  // Compiled once here and shared by the workers (pythonParser.ts); a worker left without it compiles its own.
  const compiled = await compilePython().catch(() => undefined);
  let done = 0;
  const fromWorkers = Promise.all(
    workerShares.map((share) =>
      runWorker(share, settings, schedulers, compiled, () => onProgress?.(++done)).catch(async () => {
        const parser = await createPythonParser(compiled);
        return share.map((file) => analyzeFile(parser, file, settings, graph));
      }),
    ),
  );
  const parser = await createPythonParser(compiled);
  const own = ownShare.map((file) => {
    const result = analyzeFile(parser, file, settings, graph);
    onProgress?.(++done);
    return result;
  });
  const perWorker = [own, ...(await fromWorkers)];
  const byFile = new Map(perWorker.flat().map((result) => [result.file, result]));
  return files.map((file) => byFile.get(file)!);
}

/** Deals files out largest first to the least-loaded worker, so that shares take about the same time. */
function balance(files: readonly string[], workers: number): string[][] {
  const sized = files.map((file) => ({ file, size: sizeOf(file) })).sort((a, b) => b.size - a.size);
  const shares = Array.from({ length: workers }, () => ({ files: [] as string[], bytes: 0 }));
  for (const { file, size } of sized) {
    const target = shares.reduce((least, share) => (share.bytes < least.bytes ? share : least));
    target.files.push(file);
    target.bytes += size;
  }
  return shares.map((share) => share.files);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

interface WorkerInput {
  greenAiCheck: true;
  files: string[];
  settings: Settings;
  /** Absolute paths of the batch scripts among all files, so each worker builds the same job graph. */
  schedulers: string[];
  compiled: CompiledPython | undefined;
}

type WorkerMessage = { kind: 'result'; result: FileResult } | { kind: 'done' };

function runWorker(files: string[], settings: Settings, schedulers: string[], compiled: CompiledPython | undefined, onFile: () => void): Promise<FileResult[]> {
  return new Promise((resolve, reject) => {
    const results: FileResult[] = [];
    const input: WorkerInput = { greenAiCheck: true, files, settings, schedulers, compiled };
    const worker = new Worker(__filename, { workerData: input, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'result') {
        results.push(message.result);
        onFile();
      } else {
        resolve(results);
        void worker.terminate();
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (results.length < files.length) reject(new Error(`worker exited with code ${code} after ${results.length}/${files.length} files`));
    });
  });
}

/** True when this thread was started by `analyzeFiles` to analyse a share of the files. */
export function isCheckWorker(): boolean {
  return !isMainThread && (workerData as Partial<WorkerInput> | null)?.greenAiCheck === true;
}

export async function checkWorkerMain(): Promise<void> {
  const { files, settings, schedulers, compiled } = workerData as WorkerInput;
  const parser = await createPythonParser(compiled);
  const graph = jobGraphOf(schedulers);
  for (const file of files) {
    const message: WorkerMessage = { kind: 'result', result: analyzeFile(parser, file, settings, graph) };
    parentPort!.postMessage(message);
  }
  parentPort!.postMessage({ kind: 'done' } satisfies WorkerMessage);
}

/**
 * The job graph of a check run. A job's relative paths resolve as on the cluster (graph.ts): its working directory,
 * the script's own directory, then the submit directory, taken to be where `green-ai check` runs (the project root,
 * where `sbatch jobs/x.sbatch` is typed), as the server takes its workspace folders.
 */
function jobGraphOf(schedulers: readonly string[]): JobGraph {
  return graphOf(schedulers, diskReader, [process.cwd()]);
}

export function analyzeFile(parser: Parser, file: string, settings: Settings, graph?: JobGraph): FileResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { file, findings: [], errors: [`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (isNotebookFile(file)) return withErrors(file, { ...analyzeNotebookText(parser, text, file, settings), estimate: null });
  const configFormat = configFormatOf(undefined, file);
  // The file's URI, as the server and the evaluation pass it: the composed Hydra forms of the config rules recognise
  // the analysed file among the job's files by URI (a bare relative path matched none, so the CLI judged every file
  // of a Hydra job alone).
  if (configFormat) return withErrors(file, analyzeConfig(text, fileUri(path.resolve(file)), configFormat, settings, undefined, graph?.viewOf(path.resolve(file))));
  const note = precheck(text, settings);
  if (note) return { file, findings: [note], errors: [] };
  const tree = parser.parse(text);
  if (!tree) return { file, findings: [], errors: [`tree-sitter could not parse ${file}`] };
  try {
    const scriptSettings = graph ? withJobFacts(settings, graph.viewOf(path.resolve(file)), path.resolve(file)) : settings; // the job's GPUs for the estimate
    return withErrors(file, analyzePython(tree, text, file, scriptSettings, undefined, { siblingFiles: siblingFileReaderFor(file) }));
  } finally {
    tree.delete();
  }
}

export function isNotebookFile(file: string): boolean {
  return file.toLowerCase().endsWith('.ipynb');
}

function withErrors(file: string, outcome: AnalysisOutcome): FileResult {
  const errors = outcome.failures.map(
    (failure) => `rule ${failure.ruleId} failed on ${file}: ${failure.error instanceof Error ? failure.error.message : String(failure.error)}`,
  );
  return { file, findings: outcome.findings, errors };
}
