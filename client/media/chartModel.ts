/**
 * The power panel's pure logic, kept free of the DOM so that unit tests run it under Node: shaping the sample history
 * into uPlot's column data, trimming the history to the chart window, and the redraw throttle that keeps the webview
 * at no more than two frames a second (a busy chart would itself draw GPU power; see shared/notes/power-measurement.md).
 */
import type { ChartPoint, SeriesInfo } from '../../shared/src/power/panelProtocol';

/** uPlot's AlignedData: x values (seconds since the epoch) then one y column per series, null where a series had no value. */
export type AlignedColumns = [number[], ...(number | null)[][]];

/** Columns for uPlot: one x per point, one column per series in `series` order; points outside the window are dropped. */
export function toAlignedColumns(history: readonly ChartPoint[], series: readonly SeriesInfo[], windowMs: number): AlignedColumns {
  const points = trimHistory(history, windowMs, Number.POSITIVE_INFINITY);
  const xs = points.map((point) => point.t / 1000);
  const columns = series.map((info) => points.map((point) => point.watts[info.id] ?? null));
  return [xs, ...columns];
}

/**
 * The points within `windowMs` of the newest one, at most `maxPoints` of them (the newest), in time order.
 * A point older than its predecessor (a clock step backwards) starts the history afresh, so uPlot's x stays sorted.
 */
export function trimHistory(history: readonly ChartPoint[], windowMs: number, maxPoints: number): ChartPoint[] {
  let start = 0;
  for (let index = 1; index < history.length; index++) {
    if (history[index]!.t < history[index - 1]!.t) start = index;
  }
  const ordered = history.slice(start);
  const newest = ordered[ordered.length - 1];
  if (!newest) return [];
  const inWindow = ordered.filter((point) => newest.t - point.t <= windowMs);
  return inWindow.length > maxPoints ? inWindow.slice(inWindow.length - maxPoints) : inWindow;
}

/** Whether the chart must be rebuilt (not just fed new data): the set or order of series changed. */
export function seriesChanged(previous: readonly SeriesInfo[], next: readonly SeriesInfo[]): boolean {
  return previous.length !== next.length || previous.some((info, index) => info.id !== next[index]?.id || info.name !== next[index]?.name);
}

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Throttle {
  /** Asks for a run; runs now if the last one was at least `minIntervalMs` ago, else once when that time has passed. */
  request(): void;
  /** Drops a pending run. */
  cancel(): void;
}

/** Runs `action` at most once per `minIntervalMs`; requests in between collapse into one trailing run. */
export function createThrottle(minIntervalMs: number, clock: Clock, action: () => void): Throttle {
  let lastRun = Number.NEGATIVE_INFINITY;
  let pending: unknown;
  const run = () => {
    pending = undefined;
    lastRun = clock.now();
    action();
  };
  return {
    request() {
      if (pending !== undefined) return;
      const wait = lastRun + minIntervalMs - clock.now();
      if (wait <= 0) run();
      else pending = clock.setTimeout(run, wait);
    },
    cancel() {
      if (pending !== undefined) clock.clearTimeout(pending);
      pending = undefined;
    },
  };
}

/** "123 W", "4.5 W", "—" when a source reported nothing. */
export function formatWatts(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value >= 10 ? `${Math.round(value)} W` : `${value.toFixed(1)} W`;
}

/** "512 / 81,920 MiB (1%)" or "—". */
export function formatMemory(usedMiB: number | null | undefined, totalMiB: number | null | undefined): string {
  if (usedMiB === null || usedMiB === undefined) return '—';
  const used = Math.round(usedMiB).toLocaleString('en-US');
  if (totalMiB === null || totalMiB === undefined || totalMiB <= 0) return `${used} MiB`;
  return `${used} / ${Math.round(totalMiB).toLocaleString('en-US')} MiB (${Math.round((100 * usedMiB) / totalMiB)}%)`;
}

/** "87%" or "—". */
export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${Math.round(value)}%`;
}

/** The VS Code chart colour variable for the n-th series; GPUs, CPU and RAM each start from their own colour. */
export function seriesColourVariable(kind: SeriesInfo['kind'], indexOfKind: number): string {
  const palettes: Record<SeriesInfo['kind'], string[]> = {
    gpu: ['--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-orange', '--vscode-charts-yellow'],
    cpu: ['--vscode-charts-blue', '--vscode-charts-purple'],
    ram: ['--vscode-charts-red', '--vscode-charts-orange'],
  };
  const palette = palettes[kind];
  return palette[indexOfKind % palette.length]!;
}
