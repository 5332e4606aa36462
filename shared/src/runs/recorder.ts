/**
 * Writes one run folder while the run goes on: the header first (`run.partial.json`, rewritten atomically at
 * launch), each sample appended to `samples.jsonl` as it is taken (one write per line, data-synced every few
 * seconds), and `run.json` atomically at the end. A runner killed at any moment leaves a folder that
 * `finalizeRunDir` can finish: that is the point of the order in which things are written.
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { computeRunRecord, parseSamples, writeJsonAtomic, type ComputeResult, type RunEnd } from './finalize';
import { RUN_FILES, RunHeaderSchema, describeZodError, type RunHeader, type SampleLine } from './schema';

/** How often appended samples are forced to disk (they reach the OS at once; this guards against a machine crash). */
const SYNC_EVERY_MS = 3000;

/** `20261126T015300Z`: sorts by time, safe in every file system. */
export function runTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** A label as a folder-name part: letters, digits, `.`, `_`, `-`; at most 48 characters. */
export function slugOf(label: string): string {
  const slug = label
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 48);
  return slug || 'run';
}

export class RunRecorder {
  private fd: number | undefined;
  private lastSync = 0;
  private header: RunHeader;

  private constructor(
    readonly dir: string,
    header: RunHeader,
  ) {
    this.header = header;
  }

  /**
   * Creates `<runsDir>/<timestamp>-<label>/` (a numbered suffix when taken), writes the header and opens the samples
   * file. `header.id` is replaced by the folder name.
   */
  static async create(runsDir: string, header: Omit<RunHeader, 'id'>, slug: string): Promise<RunRecorder> {
    const root = resolve(runsDir);
    mkdirSync(root, { recursive: true });
    const base = `${runTimestamp(new Date(header.startedAt))}-${slugOf(slug)}`;
    let id = base;
    for (let n = 2; ; n += 1) {
      try {
        mkdirSync(join(root, id));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 999) throw error;
        id = `${base}-${n}`;
      }
    }
    const recorder = new RunRecorder(join(root, id), { ...header, id });
    await recorder.writeHeader();
    recorder.fd = openSync(join(recorder.dir, RUN_FILES.samples), 'a');
    return recorder;
  }

  get id(): string {
    return this.header.id;
  }

  /** Updates the header (launch time, job PID, hardware seen in the first sample) and rewrites it atomically. */
  async updateHeader(patch: Partial<Omit<RunHeader, 'id' | 'schemaVersion'>>): Promise<void> {
    this.header = { ...this.header, ...patch };
    await this.writeHeader();
  }

  private async writeHeader(): Promise<void> {
    const checked = RunHeaderSchema.safeParse(this.header);
    if (!checked.success) throw new Error(describeZodError(RUN_FILES.partial, checked.error));
    await writeJsonAtomic(join(this.dir, RUN_FILES.partial), checked.data);
  }

  /** Appends one sample line; synchronous so that a line is whole on disk before the next event can kill us. */
  append(sample: SampleLine): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${JSON.stringify(sample)}\n`);
    const now = Date.now();
    if (now - this.lastSync >= SYNC_EVERY_MS) {
      this.lastSync = now;
      try {
        fdatasyncSync(this.fd);
      } catch {
        // some file systems (tmpfs on old kernels, FUSE) refuse: the data is still with the OS
      }
    }
  }

  /** Closes the samples file, computes the record from what is on disk and writes run.json. */
  async finish(end: RunEnd): Promise<ComputeResult & { warnings: string[] }> {
    if (this.fd !== undefined) {
      try {
        fdatasyncSync(this.fd);
      } catch {
        // as in append
      }
      closeSync(this.fd);
      this.fd = undefined;
    }
    const text = await readFile(join(this.dir, RUN_FILES.samples), 'utf8');
    const { samples, warnings } = parseSamples(text, join(this.dir, RUN_FILES.samples));
    const computed = computeRunRecord(this.header, samples, end, { finalizedBy: 'recorder', warnings });
    if (computed.ok) await writeJsonAtomic(join(this.dir, RUN_FILES.record), computed.record);
    return { ...computed, warnings };
  }
}
