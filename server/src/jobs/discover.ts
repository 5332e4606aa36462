/**
 * Finding the scheduler files of a workspace without an editor having opened them: a bounded walk for `*.sbatch`,
 * `*.slurm` and `*.sh` files that contain an `#SBATCH` directive or launch a Python entry script (the job graph needs
 * them to know that a config it is asked about is launched by some job). Skips VCS, dependency and virtualenv folders; stops at a file budget so a
 * huge tree cannot stall the server.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { JobGraph, mayBeJob, SCHEDULER_FILE } from './graph';
import type { FileReader } from './reader';

const SKIPPED_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.venv', 'venv', 'env', '.tox', '.mypy_cache', '.pytest_cache', 'site-packages', 'dist', 'build', 'wandb', 'mlruns', 'outputs', 'lightning_logs']);
const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 8;

/** Paths of the candidate scheduler files under `root` (by name; the content is checked when the graph reads them). */
export function schedulerCandidates(root: string, skip: (file: string) => boolean = () => false): string[] {
  const found: string[] = [];
  let budget = MAX_ENTRIES;
  const walk = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH || budget <= 0) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (--budget <= 0) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(full, depth + 1);
      } else if (entry.isFile() && SCHEDULER_FILE.test(entry.name) && !skip(full)) {
        found.push(full);
      }
    }
  };
  walk(root, 0);
  return found;
}

/**
 * A graph over the given scheduler candidates: every batch script (`#SBATCH` directives) and every launcher script
 * that starts a Python entry script of the workspace becomes a job (graph.ts buildJob).
 */
export function graphOf(candidates: readonly string[], reader: FileReader, roots: readonly string[]): JobGraph {
  const graph = new JobGraph(reader, () => roots);
  for (const file of candidates) {
    const text = reader.read(file);
    if (text !== undefined && mayBeJob(text)) graph.setScheduler(file, text);
  }
  return graph;
}
