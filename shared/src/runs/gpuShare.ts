/**
 * The job's share of each NVIDIA GPU while it runs: which processes belong to the job's tree (from /proc), and how
 * much GPU memory each compute process uses (`nvidia-smi --query-compute-apps`). A GPU used by processes outside the
 * tree is shared, and the finaliser attributes its energy by memory share; when this cannot be measured the run says
 * "whole device". One nvidia-smi call at a time; a slow call is never stacked.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { GpuShare } from './schema';

export type ShareResult = { ok: true; shares: Record<string, GpuShare> } | { ok: false; problem: string };

/** PIDs of root and all its descendants, from /proc/<pid>/stat (Linux); undefined elsewhere. */
export async function processTree(rootPid: number, procRoot = '/proc'): Promise<Set<number> | undefined> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch {
    return undefined;
  }
  const children = new Map<number, number[]>();
  await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        try {
          const stat = await readFile(`${procRoot}/${name}/stat`, 'utf8');
          // The command name may contain spaces and parentheses: the fields after it start at the last ')'.
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const ppid = Number(fields[1]);
          const list = children.get(ppid) ?? [];
          list.push(Number(name));
          children.set(ppid, list);
        } catch {
          // the process ended while we listed: not part of anything any more
        }
      }),
  );
  const tree = new Set<number>([rootPid]);
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (!tree.has(child)) {
        tree.add(child);
        queue.push(child);
      }
    }
  }
  return tree;
}

/** Parses `gpu_uuid, pid, used_memory` CSV rows (noheader, nounits). Rows with [N/A] memory count as 0 MiB. */
export function parseComputeApps(csv: string): Array<{ uuid: string; pid: number; usedMiB: number }> {
  const rows: Array<{ uuid: string; pid: number; usedMiB: number }> = [];
  for (const line of csv.split('\n')) {
    if (line.trim() === '') continue;
    const [uuid, pid, used] = line.split(',').map((field) => field.trim());
    if (!uuid || !pid || !/^\d+$/.test(pid)) continue;
    const mib = Number(used);
    rows.push({ uuid, pid: Number(pid), usedMiB: Number.isFinite(mib) ? mib : 0 });
  }
  return rows;
}

/** Builds the per-GPU shares from the compute apps and the job's PIDs. */
export function sharesOf(apps: ReturnType<typeof parseComputeApps>, jobPids: ReadonlySet<number>, gpuUuids: readonly string[]): Record<string, GpuShare> {
  const shares: Record<string, GpuShare> = {};
  for (const uuid of gpuUuids) shares[uuid] = { jobMiB: 0, allMiB: 0, foreign: false };
  for (const app of apps) {
    const share = (shares[app.uuid] ??= { jobMiB: 0, allMiB: 0, foreign: false });
    share.allMiB += app.usedMiB;
    if (jobPids.has(app.pid)) share.jobMiB += app.usedMiB;
    else share.foreign = true;
  }
  return shares;
}

/** Polls the job's GPU shares; `latest()` is the last completed query, at most one call in flight. */
export class GpuShareProbe {
  private inFlight = false;
  private last: ShareResult | undefined;
  private stopped = false;

  constructor(
    private readonly nvidiaSmiPath: string,
    private readonly gpuUuids: () => readonly string[],
    private readonly procRoot = '/proc',
  ) {}

  latest(): ShareResult | undefined {
    return this.last;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Starts one query for the tree of jobPid unless one is running. */
  poll(jobPid: number): void {
    if (this.inFlight || this.stopped) return;
    this.inFlight = true;
    void this.query(jobPid).then((result) => {
      this.inFlight = false;
      if (!this.stopped) this.last = result;
    });
  }

  async query(jobPid: number): Promise<ShareResult> {
    if (process.platform !== 'linux') return { ok: false, problem: `the job's process tree is read from /proc, which ${process.platform} does not have` };
    const csv = await new Promise<{ ok: true; stdout: string } | { ok: false; problem: string }>((resolve) => {
      execFile(
        this.nvidiaSmiPath,
        ['--query-compute-apps=gpu_uuid,pid,used_memory', '--format=csv,noheader,nounits'],
        { timeout: 10_000, windowsHide: true },
        (error, stdout) => {
          if (error) resolve({ ok: false, problem: `${this.nvidiaSmiPath} --query-compute-apps failed: ${error.message.split('\n')[0]}` });
          else resolve({ ok: true, stdout });
        },
      );
    });
    if (!csv.ok) return csv;
    const tree = await processTree(jobPid, this.procRoot);
    if (!tree) return { ok: false, problem: `cannot list processes under ${this.procRoot}` };
    const apps = parseComputeApps(csv.stdout);
    // In a container nvidia-smi may print host PIDs, which match nothing here: then the share cannot be known. (One
    // process that ended between the two reads is not that case, hence "every".)
    const invisible = apps.filter((app) => !tree.has(app.pid)).filter((app) => !pidExists(app.pid));
    if (invisible.length > 0 && invisible.length === apps.length) return { ok: false, problem: `nvidia-smi lists PIDs not visible in this PID namespace (${invisible.map((a) => a.pid).join(', ')}), e.g. inside a container` };
    return { ok: true, shares: sharesOf(apps, tree, this.gpuUuids()) };
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
