// The power panel's pure webview logic: chart columns, history trimming, the redraw throttle, number formatting.
import assert from 'node:assert/strict';
import {
  createThrottle,
  formatMemory,
  formatWatts,
  seriesChanged,
  toAlignedColumns,
  trimHistory,
  type Clock,
} from '../../../client/media/chartModel';
import type { ChartPoint, SeriesInfo } from '../../../shared/src/power/panelProtocol';

const GPU: SeriesInfo = { id: 'gpu:GPU-1', name: 'NVIDIA H100 (GPU 0)', kind: 'gpu' };
const CPU: SeriesInfo = { id: 'cpu:estimated', name: 'CPU (estimated)', kind: 'cpu' };

/** A clock whose time only moves when the test says so; timers fire in order as it passes them. */
function manualClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout: (callback, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    advance(ms: number) {
      const target = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, timer]) => timer.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = target;
    },
    pending: () => timers.size,
  };
}

describe('power panel chart model', () => {
  it('shapes samples into uPlot columns: seconds on x, one column per series, null where a component had no value', () => {
    const history: ChartPoint[] = [
      { t: 1_000, watts: { [GPU.id]: 300, [CPU.id]: 40 } },
      { t: 2_000, watts: { [GPU.id]: null, [CPU.id]: 42 } },
      { t: 3_000, watts: { [CPU.id]: 41 } },
    ];
    assert.deepEqual(toAlignedColumns(history, [GPU, CPU], 60_000), [
      [1, 2, 3],
      [300, null, null],
      [40, 42, 41],
    ]);
  });

  it('keeps only the window before the newest point and at most maxPoints', () => {
    const history: ChartPoint[] = Array.from({ length: 10 }, (_, i) => ({ t: i * 1000, watts: { a: i } }));
    assert.deepEqual(trimHistory(history, 3000, 100).map((p) => p.t), [6000, 7000, 8000, 9000]);
    assert.deepEqual(trimHistory(history, 60_000, 2).map((p) => p.t), [8000, 9000]);
    assert.deepEqual(trimHistory([], 1000, 10), []);
  });

  it('starts afresh after a clock step backwards, so x stays sorted', () => {
    const history: ChartPoint[] = [
      { t: 5000, watts: {} },
      { t: 6000, watts: {} },
      { t: 1000, watts: {} },
      { t: 2000, watts: {} },
    ];
    assert.deepEqual(trimHistory(history, 60_000, 100).map((p) => p.t), [1000, 2000]);
  });

  it('rebuilds the chart only when the series change', () => {
    assert.equal(seriesChanged([GPU, CPU], [{ ...GPU }, { ...CPU }]), false);
    assert.equal(seriesChanged([GPU, CPU], [CPU, GPU]), true);
    assert.equal(seriesChanged([GPU], [GPU, CPU]), true);
  });

  it('throttles redraws to one per interval, with one trailing redraw for requests in between', () => {
    const clock = manualClock();
    let runs = 0;
    const throttle = createThrottle(500, clock, () => runs++);
    throttle.request(); // first request draws at once
    assert.equal(runs, 1);
    for (let i = 0; i < 10; i++) {
      clock.advance(40);
      throttle.request(); // samples every 40 ms: all collapse into one pending redraw
    }
    assert.equal(runs, 1);
    assert.equal(clock.pending(), 1);
    clock.advance(100); // 500 ms after the first draw
    assert.equal(runs, 2);
    clock.advance(2000);
    assert.equal(runs, 2, 'no request, no redraw');
    throttle.request();
    assert.equal(runs, 3, 'a request after a quiet period draws at once');
    throttle.request();
    throttle.cancel();
    clock.advance(1000);
    assert.equal(runs, 3, 'a cancelled redraw does not run');
  });

  it('formats watts and memory for the table', () => {
    assert.equal(formatWatts(299.6), '300 W');
    assert.equal(formatWatts(4.25), '4.3 W');
    assert.equal(formatWatts(null), '—');
    assert.equal(formatMemory(40000, 81559), '40,000 / 81,559 MiB (49%)');
    assert.equal(formatMemory(null, 81559), '—');
  });
});
