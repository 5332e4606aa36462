/**
 * NVIDIA GPUs through ONE long-lived `nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N` child, parsed
 * line by line (never a process per tick). `--help-query-gpu` is asked once for the power fields the driver offers
 * (power.draw.average, power.draw.instant, power.draw) and whether MIG mode can be queried; all offered power fields
 * are queried and each row uses the best one with a value, because a field can be offered and still be [N/A] on some
 * boards (power.draw.average on GA100). Power is
 * trapezoid-integrated on arrival times; a dying child is restarted with doubling backoff, and the time it was away
 * shows as reduced coverage. The fallback after NVML (nvml.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseCudaVisibleDevices, visibleGpus } from './cudaVisible';
import { GAP_PERIODS, TrapezoidIntegrator } from './integrate';
import { errorText, type PowerSource, type Probe } from './source';
import type { ComponentReading } from './types';

export const POWER_FIELDS = ['power.draw.average', 'power.draw.instant', 'power.draw'] as const;
export type PowerField = (typeof POWER_FIELDS)[number];

/** Fields offered by this driver, read from `nvidia-smi --help-query-gpu`. */
export function offeredFields(help: string): { power: PowerField[]; mig: boolean; powerLimit: boolean } {
  const has = (field: string) => new RegExp(`(^|[\\s"',])${field.replace(/\./g, '\\.')}($|[\\s"',])`, 'm').test(help);
  return { power: POWER_FIELDS.filter(has), mig: has('mig.mode.current'), powerLimit: has('power.limit') };
}

export function queryFields(power: readonly PowerField[], options: { mig: boolean; powerLimit: boolean }): string[] {
  return ['index', 'uuid', 'name', ...power, 'utilization.gpu', 'memory.used', 'memory.total', ...(options.powerLimit ? ['power.limit'] : []), ...(options.mig ? ['mig.mode.current'] : [])];
}

export interface SmiRow {
  index: number;
  uuid: string;
  name: string;
  watts: number | null;
  /** The field `watts` came from: the first of the queried power fields with a value. */
  powerField: PowerField | undefined;
  utilizationPercent: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  powerLimitW: number | null;
  migEnabled: boolean;
}

/** `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `N/A` and empty cells are no value. */
function numberCell(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const text = cell.trim();
  if (text === '' || /^\[.*\]$/.test(text) || text === 'N/A') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** One CSV line of the query; undefined for lines that are not a GPU row (errors, banners). */
export function parseSmiLine(line: string, fields: readonly string[]): SmiRow | undefined {
  let cells = line.split(',').map((cell) => cell.trim());
  if (cells.length < fields.length) return undefined;
  if (cells.length > fields.length) {
    // A comma inside the GPU name: the name is the third field, so the surplus cells belong to it.
    const extra = cells.length - fields.length;
    cells = [cells[0] ?? '', cells[1] ?? '', cells.slice(2, 3 + extra).join(', '), ...cells.slice(3 + extra)];
  }
  const cell = (field: string) => cells[fields.indexOf(field)];
  const index = Number(cell('index'));
  const uuid = cell('uuid') ?? '';
  if (!Number.isInteger(index) || !/^GPU-/i.test(uuid)) return undefined;
  const powerField = POWER_FIELDS.find((field) => fields.includes(field) && numberCell(cell(field)) !== null);
  return {
    index,
    uuid,
    name: cell('name') ?? `GPU ${index}`,
    watts: powerField ? numberCell(cell(powerField)) : null,
    powerField,
    utilizationPercent: numberCell(cell('utilization.gpu')),
    memoryUsedMiB: numberCell(cell('memory.used')),
    memoryTotalMiB: numberCell(cell('memory.total')),
    powerLimitW: fields.includes('power.limit') ? numberCell(cell('power.limit')) : null,
    migEnabled: /^enabled$/i.test(cell('mig.mode.current') ?? ''),
  };
}

export interface SmiOptions {
  binary: string;
  periodMs: number;
  env: NodeJS.ProcessEnv;
  backoff: { initial: number; max: number };
}

function helpText(binary: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['--help-query-gpu'], { env, timeout: 15_000, maxBuffer: 4 * 1024 * 1024, windowsHide: true }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}

export async function probeNvidiaSmi(options: SmiOptions): Promise<Probe> {
  let help: string;
  try {
    help = await helpText(options.binary, options.env);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? `nvidia-smi: "${options.binary}" not found` : `nvidia-smi --help-query-gpu failed: ${errorText(error)}` };
  }
  const offered = offeredFields(help);
  if (offered.power.length === 0) return { ok: false, reason: 'nvidia-smi offers no power.draw field' };
  const source = new NvidiaSmiSource(options, queryFields(offered.power, offered), offered.power);
  const first = await source.begin();
  if (!first.ok) {
    await source.stop();
    return { ok: false, reason: first.reason };
  }
  return { ok: true, source, notes: source.notes };
}

interface GpuState {
  row: SmiRow;
  arrivedMs: number;
  energy: TrapezoidIntegrator;
}

class NvidiaSmiSource implements PowerSource {
  readonly label = 'nvidia-smi';
  notes: string[] = [];
  private child: ChildProcess | undefined;
  private stopped = false;
  private buffer = '';
  private stderrTail = '';
  private readonly gpus = new Map<string, GpuState>();
  private visible: Set<string> | undefined;
  private restarts = 0;
  private lastExit = '';
  private delayMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private firstRows: SmiRow[] = [];
  private quietTimer: NodeJS.Timeout | undefined;
  private firstWaiter: ((rows: SmiRow[] | string) => void) | undefined;

  constructor(
    private readonly options: SmiOptions,
    private readonly fields: string[],
    private readonly powerFields: PowerField[],
  ) {
    this.delayMs = options.backoff.initial;
  }

  /** Spawns the child and waits for its first rows, so the GPUs (and which are visible) are known. */
  begin(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const wait = new Promise<SmiRow[] | string>((resolve) => {
      this.firstWaiter = resolve;
      const timer = setTimeout(() => resolve(`nvidia-smi printed no GPU row within ${Math.round((GAP_PERIODS * this.options.periodMs + 10_000) / 1000)} s`), GAP_PERIODS * this.options.periodMs + 10_000);
      timer.unref();
    });
    this.spawnChild();
    return wait.then((rows) => {
      this.firstWaiter = undefined;
      if (this.quietTimer) clearTimeout(this.quietTimer);
      if (typeof rows === 'string') return { ok: false as const, reason: rows };
      const chosen = visibleGpus(rows, parseCudaVisibleDevices(this.options.env.CUDA_VISIBLE_DEVICES));
      this.visible = new Set(chosen.gpus.map((gpu) => gpu.uuid));
      this.notes = chosen.notes;
      for (const uuid of [...this.gpus.keys()]) if (!this.visible.has(uuid)) this.gpus.delete(uuid);
      if (chosen.gpus.length === 0) return { ok: false as const, reason: `nvidia-smi: no visible GPU (CUDA_VISIBLE_DEVICES=${JSON.stringify(this.options.env.CUDA_VISIBLE_DEVICES ?? '')})` };
      return { ok: true as const };
    });
  }

  private spawnChild(): void {
    if (this.stopped) return;
    const args = [`--query-gpu=${this.fields.join(',')}`, '--format=csv,noheader,nounits', '-lms', String(Math.max(1, Math.round(this.options.periodMs)))];
    let child: ChildProcess;
    try {
      child = spawn(this.options.binary, args, { env: this.options.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (error) {
      this.onExit(`spawn failed: ${errorText(error)}`);
      return;
    }
    this.child = child;
    this.buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-400);
    });
    child.on('error', (error) => {
      if (this.child === child) this.child = undefined;
      this.onExit(`error: ${errorText(error)}`);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      const lastLine = this.stderrTail.trim().split('\n').pop() ?? '';
      this.onExit(`${signal ? `signal ${signal}` : `exit ${code ?? '?'}`}${lastLine ? `: ${lastLine}` : ''}`);
    });
  }

  private onExit(reason: string): void {
    if (this.stopped) return;
    this.lastExit = reason;
    this.stderrTail = '';
    if (this.firstWaiter && this.visible === undefined && this.firstRows.length === 0 && this.restarts === 0) {
      // Dying before the first row is a probe failure (no driver, no GPU), not something to retry forever.
      this.firstWaiter(`nvidia-smi ${reason}`);
      return;
    }
    this.restarts++;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.options.backoff.max);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.spawnChild();
    }, delay);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.onLine(line);
    }
    if (this.buffer.length > 65_536) this.buffer = '';
  }

  private onLine(line: string): void {
    const row = parseSmiLine(line, this.fields);
    if (!row) return;
    const now = performance.now();
    this.delayMs = this.options.backoff.initial;
    if (this.visible === undefined) {
      // Before the visible set is known, collect the first batch: it ends when a GPU repeats or the output pauses.
      if (this.firstRows.some((seen) => seen.uuid === row.uuid)) this.firstWaiter?.(this.firstRows);
      else {
        this.firstRows.push(row);
        if (this.quietTimer) clearTimeout(this.quietTimer);
        this.quietTimer = setTimeout(() => this.firstWaiter?.(this.firstRows), Math.min(200, this.options.periodMs / 2));
      }
      this.record(row, now);
      return;
    }
    if (!this.visible.has(row.uuid)) return;
    this.record(row, now);
  }

  private record(row: SmiRow, now: number): void {
    let state = this.gpus.get(row.uuid);
    if (!state) {
      state = { row, arrivedMs: now, energy: new TrapezoidIntegrator(this.options.periodMs) };
      this.gpus.set(row.uuid, state);
    }
    state.row = row;
    state.arrivedMs = now;
    state.energy.add(row.watts, now);
  }

  covers(): ReadonlySet<'gpu'> {
    return new Set(['gpu'] as const);
  }

  describe(): string[] {
    return [...this.gpus.values()].map(({ row }) => `GPU ${row.index} ${row.name} (${row.uuid}): nvidia-smi ${this.powerFields.join(' or ')} (first with a value), one child at ${this.options.periodMs} ms${row.migEnabled ? '; MIG mode: board power, shared' : ''}`);
  }

  read(monotonicMs: number): ComponentReading[] {
    const readings: ComponentReading[] = [];
    for (const { row, arrivedMs, energy } of [...this.gpus.values()].sort((a, b) => a.row.index - b.row.index)) {
      const warnings: string[] = [];
      const stale = monotonicMs - arrivedMs > GAP_PERIODS * this.options.periodMs;
      if (stale) warnings.push(`no reading from nvidia-smi for ${Math.round((monotonicMs - arrivedMs) / 1000)} s`);
      if (this.restarts > 0) warnings.push(`nvidia-smi restarted ${this.restarts} time(s); last ${this.lastExit}`);
      if (!stale && row.watts === null) warnings.push(`nvidia-smi reports ${this.powerFields.join(', ')} as not available`);
      const reading: ComponentReading = {
        id: `gpu:${row.uuid}`,
        kind: 'gpu',
        name: `${row.name.startsWith('NVIDIA') ? row.name : `NVIDIA ${row.name}`} (GPU ${row.index})`,
        method: 'nvidia-smi',
        source: `nvidia-smi ${row.powerField ?? this.powerFields[0]}, ${this.options.periodMs} ms${row.migEnabled ? ' (board power, shared)' : ''}`,
        watts: stale ? null : row.watts,
        energyJ: energy.energyJ,
        utilizationPercent: row.utilizationPercent,
        memoryUsedMiB: row.memoryUsedMiB,
        memoryTotalMiB: row.memoryTotalMiB,
        powerLimitW: row.powerLimitW,
        coverage: energy.fraction(monotonicMs),
      };
      if (row.migEnabled) reading.shared = true;
      if (warnings.length > 0) reading.warnings = warnings;
      readings.push(reading);
    }
    return readings;
  }

  /** Process id of the running child (tests check that one child serves every tick). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.firstWaiter?.('stopped');
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
