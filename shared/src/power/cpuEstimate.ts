/**
 * Estimated CPU and RAM power for machines without a readable meter: CPU load (from os.cpus() time deltas) × the
 * CPU's TDP (cpus.json, matched by the model name) scaled to the visible hardware threads, else a per-thread default;
 * RAM as installed GB × W/GB. Constants come from shared/data/power-estimates.json and cpus.json; every reading is
 * labelled `estimated` with its inputs, and energy is trapezoid-integrated like any other power reading.
 */
import os from 'node:os';
import { compactName } from '../carbon/names';
import { resolveCpu } from '../carbon/resolve';
import { loadTables } from '../carbon/tables';
import { IntervalIntegrator } from './integrate';
import type { PowerSource } from './source';
import { loadPowerEstimates, type PowerEstimates } from './tables';
import type { ComponentKind, ComponentReading, PowerSamplerOptions } from './types';

type CpuInfo = ReturnType<NonNullable<PowerSamplerOptions['cpuInfo']>>[number];

/** Busy share of the CPU time between two os.cpus() snapshots, 0..1 (null when no time passed). */
export function cpuLoad(before: readonly CpuInfo[], after: readonly CpuInfo[]): number | null {
  let busy = 0;
  let total = 0;
  for (let i = 0; i < Math.min(before.length, after.length); i++) {
    const a = before[i]?.times;
    const b = after[i]?.times;
    if (!a || !b) continue;
    const idle = b.idle - a.idle;
    const all = b.user - a.user + (b.nice - a.nice) + (b.sys - a.sys) + (b.irq - a.irq) + idle;
    if (all <= 0) continue;
    busy += all - idle;
    total += all;
  }
  return total > 0 ? Math.max(0, Math.min(1, busy / total)) : null;
}

export interface CpuPowerModel {
  /** Watts at 100% load of the visible threads. */
  fullLoadW: number;
  /** "AMD EPYC 7742 TDP 225 W × 8/128 threads" */
  basis: string;
}

/** Full-load watts for the visible CPU: the matched TDP scaled to the visible threads, or threads × the default. */
export function cpuPowerModel(model: string, threads: number, estimates: PowerEstimates): CpuPowerModel {
  const tables = loadTables();
  const perThread = estimates.cpuWattsPerThread.value;
  if (tables.ok) {
    let row = resolveCpu(model, 'datacenter', tables.value);
    if (!row.ok) {
      // os.cpus() models carry clock speeds and "(R)" marks the aliases may not; a row whose id appears whole in the
      // model name (epyc7742 in "AMD EPYC 7742 64-Core Processor") is the same part.
      const key = compactName(model);
      const hit = tables.value.cpus.rows.find((candidate) => compactName(candidate.id).length >= 6 && key.includes(compactName(candidate.id)));
      if (hit) row = { ok: true, value: hit };
    }
    if (row.ok) {
      const socketThreads = row.value.cores * estimates.threadsPerCore.value;
      const share = threads / socketThreads;
      return { fullLoadW: row.value.tdpW * share, basis: `${row.value.name} TDP ${row.value.tdpW} W × ${threads}/${socketThreads} threads` };
    }
  }
  return { fullLoadW: perThread * threads, basis: `${threads} threads × ${perThread} W (CPU "${model}" not in cpus.json)` };
}

export function createEstimateSource(kinds: ReadonlySet<'cpu' | 'ram'>, options: PowerSamplerOptions, periodMs: number, monotonicMs: number, extraWarnings: Partial<Record<ComponentKind, string[]>>): PowerSource {
  const table = loadPowerEstimates();
  if (!table.ok) return new BrokenTableSource(kinds, table.message);
  return new EstimateSource(kinds, table.value, options, periodMs, monotonicMs, extraWarnings);
}

class EstimateSource implements PowerSource {
  readonly label = 'estimate';
  private readonly cpuInfo: () => CpuInfo[];
  private previous: CpuInfo[];
  private readonly cpuModel: CpuPowerModel;
  private readonly ramW: number;
  private readonly ramGB: number;
  private readonly cpuEnergy: IntervalIntegrator;
  private readonly ramEnergy: IntervalIntegrator;

  constructor(
    private readonly kinds: ReadonlySet<'cpu' | 'ram'>,
    private readonly estimates: PowerEstimates,
    options: PowerSamplerOptions,
    periodMs: number,
    monotonicMs: number,
    private readonly extraWarnings: Partial<Record<ComponentKind, string[]>>,
  ) {
    this.cpuInfo = options.cpuInfo ?? (() => os.cpus());
    this.previous = this.cpuInfo();
    this.cpuModel = cpuPowerModel(this.previous[0]?.model.trim() || 'unknown', Math.max(1, this.previous.length), estimates);
    // GB as the run record, its reports and CodeCarbon's ram_total_size count them (2^30 bytes), so that one machine shows one size.
    this.ramGB = (options.totalMemoryBytes ?? os.totalmem()) / 1024 ** 3;
    this.ramW = this.ramGB * estimates.ramWattsPerGB.value;
    this.cpuEnergy = new IntervalIntegrator(periodMs, monotonicMs);
    this.ramEnergy = new IntervalIntegrator(periodMs, monotonicMs);
  }

  covers(): ReadonlySet<'cpu' | 'ram'> {
    return this.kinds;
  }

  describe(): string[] {
    const lines: string[] = [];
    if (this.kinds.has('cpu')) lines.push(`CPU: estimated from load × ${this.cpuModel.basis} = ${round(this.cpuModel.fullLoadW)} W at full load`);
    if (this.kinds.has('ram')) lines.push(`RAM: estimated ${round(this.ramGB)} GB × ${this.estimates.ramWattsPerGB.value} W/GB = ${round(this.ramW)} W`);
    return lines;
  }

  read(monotonicMs: number): ComponentReading[] {
    const readings: ComponentReading[] = [];
    if (this.kinds.has('cpu')) {
      const now = this.cpuInfo();
      const load = cpuLoad(this.previous, now);
      this.previous = now;
      const watts = load === null ? null : load * this.cpuModel.fullLoadW;
      this.cpuEnergy.add(watts, monotonicMs);
      readings.push(
        withWarnings(
          {
            id: 'cpu:estimated',
            kind: 'cpu',
            name: 'CPU (estimated)',
            method: 'estimated',
            // The load itself is utilizationPercent: a run's record keeps one source per component, so it names the method only.
            source: `estimated from load × ${this.cpuModel.basis}`,
            watts,
            energyJ: this.cpuEnergy.energyJ,
            utilizationPercent: load === null ? null : Math.round(load * 1000) / 10,
            coverage: this.cpuEnergy.fraction(monotonicMs),
          },
          this.extraWarnings.cpu,
        ),
      );
    }
    if (this.kinds.has('ram')) {
      this.ramEnergy.add(this.ramW, monotonicMs);
      readings.push(
        withWarnings(
          {
            id: 'ram:estimated',
            kind: 'ram',
            name: 'RAM (estimated)',
            method: 'estimated',
            source: `estimated ${round(this.ramGB)} GB × ${this.estimates.ramWattsPerGB.value} W/GB (${this.estimates.ramWattsPerGB.source.title.split(':')[0]}, ${this.estimates.ramWattsPerGB.year})`,
            watts: this.ramW,
            energyJ: this.ramEnergy.energyJ,
            coverage: this.ramEnergy.fraction(monotonicMs),
          },
          this.extraWarnings.ram,
        ),
      );
    }
    return readings;
  }

  async stop(): Promise<void> {}
}

/** A broken data table is a warning on every estimated reading, never a crash or a made-up number. */
class BrokenTableSource implements PowerSource {
  readonly label = 'estimate';
  constructor(
    private readonly kinds: ReadonlySet<'cpu' | 'ram'>,
    private readonly message: string,
  ) {}
  covers(): ReadonlySet<'cpu' | 'ram'> {
    return this.kinds;
  }
  describe(): string[] {
    return [`estimates unavailable: ${this.message}`];
  }
  read(): ComponentReading[] {
    return [...this.kinds].map((kind) => ({
      id: `${kind}:estimated`,
      kind,
      name: `${kind.toUpperCase()} (estimated)`,
      method: 'estimated' as const,
      source: 'estimate unavailable',
      watts: null,
      energyJ: 0,
      warnings: [this.message],
    }));
  }
  async stop(): Promise<void> {}
}

function withWarnings(reading: ComponentReading, warnings: string[] | undefined): ComponentReading {
  if (warnings && warnings.length > 0) reading.warnings = [...(reading.warnings ?? []), ...warnings];
  return reading;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
