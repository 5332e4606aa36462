/**
 * CLI throughput on a generated project tree: our `green-ai check` as a user runs it (one process,
 * wall time from spawn to exit, process start and wasm load included) against Ruff's WebAssembly build
 * driven by bench/ruffCheck.mjs, which reports its in-process load and check times besides the
 * whole-process wall time measured here. Both read every file from disk.
 */
import path from 'node:path';
import { runToCompletion } from './processes';

export const REPO_ROOT = path.join(__dirname, '..');
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const RUFF_CHILD = path.join(__dirname, 'ruffCheck.mjs');

export interface GreenAiCliResult {
  wallMs: number;
  files: number;
  findings: number;
  /** `node dist/cli.js --version`: process start and bundle load, no parser, no files. */
  startMs: number;
}

export interface RuffResult {
  version: string;
  wallMs: number;
  loadMs: number;
  checkMs: number;
  files: number;
  lines: number;
  diagnostics: number;
}

export async function measureGreenAiCli(tree: string): Promise<GreenAiCliResult> {
  const start = await runToCompletion(process.execPath, [CLI, '--version'], { cwd: REPO_ROOT });
  if (start.code !== 0) throw new Error(`node ${CLI} --version exited ${start.code}: ${start.stderr.trim()}`);
  const run = await runToCompletion(process.execPath, [CLI, 'check', tree, '--format', 'json', '--fail-on', 'never'], { cwd: REPO_ROOT });
  if (run.code !== 0) throw new Error(`node ${CLI} check exited ${run.code}: ${run.stderr.trim().slice(-600)}`);
  const report = JSON.parse(run.stdout) as { files: number; findings: unknown[] };
  return { wallMs: run.wallMs, files: report.files, findings: report.findings.length, startMs: start.wallMs };
}

export async function measureRuffWasm(tree: string): Promise<RuffResult> {
  const run = await runToCompletion(process.execPath, [RUFF_CHILD, tree], { cwd: REPO_ROOT });
  if (run.code !== 0) {
    const reason = run.stderr.includes('ERR_MODULE_NOT_FOUND')
      ? '@astral-sh/ruff-wasm-nodejs is not installed (npm install --save-dev @astral-sh/ruff-wasm-nodejs)'
      : run.stderr.trim().slice(-600);
    throw new Error(`node ${RUFF_CHILD} exited ${run.code}: ${reason}`);
  }
  const line = run.stdout.trim().split('\n').pop() ?? '';
  const report = JSON.parse(line) as Omit<RuffResult, 'wallMs'>;
  return { ...report, wallMs: run.wallMs };
}
