/**
 * Energy from readings: counter differences (RAPL µJ, NVML mJ) with wrap-around correction, and trapezoids over power
 * samples on monotonic timestamps. Both refuse to bridge a gap longer than three sampling periods: the missing time is
 * recorded as reduced coverage instead of being filled with a guess. Pure, so the arithmetic is tested without sources.
 */

/** How many periods a gap may last before it counts as missing time. */
export const GAP_PERIODS = 3;

/** Time covered by readings against time elapsed since the first reading. */
export class Coverage {
  private firstMs: number | undefined;
  private lastMs: number | undefined;
  private missingMs = 0;

  constructor(private readonly periodMs: number) {}

  /** Records a reading at `monotonicMs`; returns true when the step from the previous one was a gap. */
  mark(monotonicMs: number): boolean {
    if (this.lastMs === undefined || this.firstMs === undefined) {
      this.firstMs = this.lastMs = monotonicMs;
      return false;
    }
    const step = monotonicMs - this.lastMs;
    this.lastMs = Math.max(this.lastMs, monotonicMs);
    if (step > GAP_PERIODS * this.periodMs) {
      this.missingMs += step;
      return true;
    }
    return false;
  }

  /** 0..1 of the time up to `nowMs` that readings cover (1 before two readings exist). */
  fraction(nowMs?: number): number {
    if (this.firstMs === undefined || this.lastMs === undefined) return 1;
    const end = Math.max(nowMs ?? this.lastMs, this.lastMs);
    // Time since the last reading counts as missing only once it is itself a gap.
    const trailing = end - this.lastMs > GAP_PERIODS * this.periodMs ? end - this.lastMs : 0;
    const elapsed = end - this.firstMs;
    if (elapsed <= 0) return 1;
    return Math.max(0, Math.min(1, 1 - (this.missingMs + trailing) / elapsed));
  }
}

/**
 * A cumulative energy counter. `maxRange` is the value at which it wraps back to zero (RAPL max_energy_range_uj);
 * without it a decrease is treated as a reset (driver reload) and contributes nothing.
 */
export class CounterIntegrator {
  private last: number | undefined;
  private lastMs: number | undefined;
  private total = 0;
  private readonly coverage: Coverage;
  /** Watts over the last step, or null before two readings / across a gap. */
  lastWatts: number | null = null;
  /** True when the last step wrapped around. */
  wrapped = false;

  /** `unitJ`: joules per counter unit (1e-6 for µJ, 1e-3 for mJ). */
  constructor(
    private readonly unitJ: number,
    periodMs: number,
    private readonly maxRange?: number,
  ) {
    this.coverage = new Coverage(periodMs);
  }

  add(counter: number, monotonicMs: number): void {
    this.coverage.mark(monotonicMs);
    const previous = this.last;
    const previousMs = this.lastMs;
    this.last = counter;
    this.lastMs = monotonicMs;
    this.wrapped = false;
    if (previous === undefined || previousMs === undefined) return;
    let delta = counter - previous;
    if (delta < 0) {
      if (this.maxRange === undefined || this.maxRange <= 0) {
        this.lastWatts = null;
        return;
      }
      delta += this.maxRange;
      this.wrapped = true;
    }
    const joules = delta * this.unitJ;
    const seconds = (monotonicMs - previousMs) / 1000;
    // Across a gap the counter still measured the energy (it is cumulative), so it is kept; coverage says the
    // intermediate power profile is unknown. A counter can wrap more than once in a long gap, which we cannot see.
    this.total += joules;
    this.lastWatts = seconds > 0 ? joules / seconds : null;
  }

  get energyJ(): number {
    return this.total;
  }

  fraction(nowMs?: number): number {
    return this.coverage.fraction(nowMs);
  }
}

/** Power samples (W) integrated by trapezoids; a step longer than three periods is left out and lowers coverage. */
export class TrapezoidIntegrator {
  private lastW: number | undefined;
  private lastMs: number | undefined;
  private total = 0;
  private readonly coverage: Coverage;

  constructor(periodMs: number) {
    this.coverage = new Coverage(periodMs);
  }

  /** A power reading; null (source said [N/A]) breaks the chain so no trapezoid spans the unknown interval. */
  add(watts: number | null, monotonicMs: number): void {
    if (watts === null) {
      this.lastW = undefined;
      this.lastMs = undefined;
      return;
    }
    const gap = this.coverage.mark(monotonicMs);
    if (this.lastW !== undefined && this.lastMs !== undefined && !gap && monotonicMs > this.lastMs) {
      this.total += ((this.lastW + watts) / 2) * ((monotonicMs - this.lastMs) / 1000);
    }
    this.lastW = watts;
    this.lastMs = monotonicMs;
  }

  get energyJ(): number {
    return this.total;
  }

  get latestWatts(): number | null {
    return this.lastW ?? null;
  }

  fraction(nowMs?: number): number {
    return this.coverage.fraction(nowMs);
  }
}

/**
 * Average power over each interval (CPU load is a mean over the time since the last snapshot): energy is the
 * rectangle watts × interval; an interval longer than three periods still counts (the load average covers it) but
 * lowers coverage, as the profile inside it is unknown.
 */
export class IntervalIntegrator {
  private lastMs: number | undefined;
  private total = 0;
  private readonly coverage: Coverage;

  constructor(periodMs: number, startMs: number) {
    this.coverage = new Coverage(periodMs);
    this.coverage.mark(startMs);
    this.lastMs = startMs;
  }

  add(averageWatts: number | null, monotonicMs: number): void {
    const previous = this.lastMs;
    this.lastMs = monotonicMs;
    if (averageWatts === null || previous === undefined || monotonicMs <= previous) return;
    this.coverage.mark(monotonicMs);
    this.total += averageWatts * ((monotonicMs - previous) / 1000);
  }

  get energyJ(): number {
    return this.total;
  }

  fraction(nowMs?: number): number {
    return this.coverage.fraction(nowMs);
  }
}
