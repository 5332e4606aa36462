/**
 * The profiled-runs API for the CLI (`green-ai run`, `green-ai report`) and the client's Runs view: list the run
 * folders under a runs directory and read one run, finalising unfinished runs (no run.json) in memory as
 * "incomplete" from their header and samples. Reading never writes; `finalizeRunDir` writes run.json.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadRunDir, type ReadRunResult } from './finalize';
import { RUN_FILES, type RunRecord, type RunSummary } from './schema';

export * from './schema';
export { finalizeRunDir, computeRunRecord, type ReadRunResult, type RunEnd } from './finalize';
export { formatMarkdown } from './reports/markdown';
export { formatHtml, type HtmlOptions } from './reports/html';
export { formatCsv, CODECARBON_COLUMNS } from './reports/csv';
export { formatModelCard } from './reports/modelCard';
export { totalsOf, type ReportInput, type Totals } from './reports/common';

/** The default runs directory, relative to the working directory. */
export const DEFAULT_RUNS_DIR = join('.green-ai', 'runs');

/** Reads one run folder: run.json if present, else the header + samples finalised in memory. Never throws. */
export async function readRun(dir: string): Promise<ReadRunResult> {
  return loadRunDir(resolve(dir));
}

/** Whether a folder looks like one run (has run.json or run.partial.json). */
export async function isRunDir(dir: string): Promise<boolean> {
  for (const file of [RUN_FILES.record, RUN_FILES.partial]) {
    try {
      if ((await stat(join(dir, file))).isFile()) return true;
    } catch {
      // absent: try the next
    }
  }
  return false;
}

/** Every run folder directly under runsDir, newest first. A missing runsDir is an empty list. Never throws. */
export async function listRuns(runsDir: string): Promise<RunSummary[]> {
  const root = resolve(runsDir);
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
  const summaries: RunSummary[] = [];
  for (const name of names.sort().reverse()) {
    const dir = join(root, name);
    if (!(await isRunDir(dir))) continue;
    summaries.push(summarize(dir, name, await loadRunDir(dir)));
  }
  return summaries;
}

function summarize(dir: string, name: string, result: ReadRunResult): RunSummary {
  if (!result.ok) return { dir, id: name, command: [], status: 'unreadable', finalized: false, problem: result.problem };
  const { record } = result;
  const summary: RunSummary = {
    dir,
    id: record.id,
    command: record.command,
    startedAt: record.startedAt,
    durationS: record.durationS,
    status: result.running ? 'running' : record.status,
    exitCode: record.exitCode,
    energyKWh: record.energy.energyKWh,
    co2eKg: record.co2eKg,
    finalized: result.finalized,
  };
  if (record.label !== undefined) summary.label = record.label;
  return summary;
}

/**
 * The run folders a path names: itself when it is one run folder, else every run folder directly under it (oldest
 * first). Never throws; a missing path is an empty list.
 */
export async function runDirsOf(path: string): Promise<string[]> {
  const root = resolve(path);
  if (await isRunDir(root)) return [root];
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const name of names.sort()) if (await isRunDir(join(root, name))) dirs.push(join(root, name));
  return dirs;
}

/** Reads every run a path names (see runDirsOf), oldest first, with the folders that could not be read. */
export async function readRuns(path: string): Promise<{ runs: RunRecord[]; problems: Array<{ dir: string; problem: string }> }> {
  const runs: RunRecord[] = [];
  const problems: Array<{ dir: string; problem: string }> = [];
  for (const dir of await runDirsOf(path)) {
    const result = await loadRunDir(dir);
    if (result.ok) runs.push(result.record);
    else problems.push({ dir, problem: result.problem });
  }
  return { runs, problems };
}
