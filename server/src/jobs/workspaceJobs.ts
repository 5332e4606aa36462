/**
 * The server's job graph: one per server, over every workspace folder, discovered lazily (the first time a file's
 * view is asked for) by a bounded walk for batch and launcher scripts, then kept current from document changes and file events.
 * Reads go through the injected reader, so unsaved editor text is what the graph sees.
 */
import { schedulerCandidates } from './discover';
import { JobGraph, mayBeJob, type JobView } from './graph';
import type { FileReader } from './reader';

export class WorkspaceJobs {
  private readonly graph: JobGraph;
  private roots: string[] = [];
  private discovered = false;

  constructor(private readonly reader: FileReader) {
    this.graph = new JobGraph(reader, () => this.roots);
  }

  setRoots(roots: readonly string[]): void {
    this.roots = [...new Set(roots)];
    this.discovered = false;
  }

  viewOf(filePath: string): JobView {
    this.discover();
    return this.graph.viewOf(filePath);
  }

  /** The scheduler's own text as the editor has it now (so its analysis never sees a stale job). */
  schedulerText(filePath: string, text: string): void {
    this.discover();
    if (mayBeJob(text) || this.graph.job(filePath)) this.graph.setScheduler(filePath, text);
  }

  /** A file changed: rebuilds the jobs it belongs to; returns every file whose findings may have changed. */
  fileChanged(filePath: string): Set<string> {
    this.discover();
    return this.graph.fileChanged(filePath);
  }

  private discover(): void {
    if (this.discovered) return;
    this.discovered = true;
    for (const root of this.roots) {
      for (const file of schedulerCandidates(root)) {
        const text = this.reader.read(file);
        if (text !== undefined && mayBeJob(text)) this.graph.setScheduler(file, text);
      }
    }
  }
}
