/**
 * The power sampler: probes each source once at start (NVML, else one nvidia-smi child, for NVIDIA GPUs; amdgpu hwmon;
 * RAPL for CPU and RAM; labelled estimates for whatever no meter covers), then on every tick collects the readings into
 * one PowerSample for the listeners. Nothing escapes a timer: a failing source becomes a warning on its readings.
 * Apple powermetrics is not supported yet (it needs sudo, which we never prompt for).
 */
import { performance } from 'node:perf_hooks';
import { createEstimateSource } from './cpuEstimate';
import { DEFAULT_DRM_ROOT, probeAmdHwmon } from './hwmonAmd';
import { GAP_PERIODS } from './integrate';
import { defaultNvmlLibrary, probeNvml } from './nvml';
import { probeNvidiaSmi } from './nvidiaSmi';
import { DEFAULT_POWERCAP_ROOT, probeRapl } from './rapl';
import { errorText, type PowerSource, type Probe } from './source';
import type { ComponentKind, ComponentReading, PowerSample, PowerSampler, PowerSamplerOptions } from './types';

export const DEFAULT_INTERVAL_MS = 1000;

export function createPowerSampler(options: PowerSamplerOptions = {}): PowerSampler {
  return new Sampler(options);
}

class Sampler implements PowerSampler {
  private readonly intervalMs: number;
  private readonly listeners = new Set<(sample: PowerSample) => void>();
  private sources: PowerSource[] = [];
  private lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: PowerSample | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;
  private firstTickMs: number | undefined;
  private lastTickMs: number | undefined;
  private missingMs = 0;
  /** Last known energy per component, so a source that throws keeps its total instead of dropping to zero. */
  private readonly lastReadings = new Map<string, ComponentReading>();

  constructor(private readonly options: PowerSamplerOptions) {
    const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.intervalMs = Number.isFinite(interval) && interval >= 10 ? interval : DEFAULT_INTERVAL_MS;
  }

  start(): Promise<void> {
    this.starting ??= this.probe();
    return this.starting;
  }

  private async probe(): Promise<void> {
    const env = this.options.env ?? process.env;
    const now = () => performance.now();
    const lines: string[] = [];
    const use = (probe: Probe): boolean => {
      if (!probe.ok) {
        lines.push(`skipped: ${probe.reason}`);
        return false;
      }
      this.sources.push(probe.source);
      for (const note of probe.notes ?? []) lines.push(`note: ${note}`);
      return true;
    };
    const safely = async (label: string, work: () => Probe | Promise<Probe>): Promise<Probe> => {
      try {
        return await work();
      } catch (error) {
        return { ok: false, reason: `${label}: ${errorText(error)}` };
      }
    };

    // NVIDIA: NVML in-process first, one nvidia-smi child otherwise, else no NVIDIA row.
    const nvmlPath = this.options.nvmlLibraryPath === undefined ? defaultNvmlLibrary() : this.options.nvmlLibraryPath;
    let nvidia = false;
    if (nvmlPath !== null) nvidia = use(await safely('NVML', () => probeNvml(nvmlPath, this.intervalMs, env, now())));
    if (!nvidia && !this.stopped) {
      nvidia = use(
        await safely('nvidia-smi', () =>
          probeNvidiaSmi({ binary: this.options.nvidiaSmiPath ?? 'nvidia-smi', periodMs: this.intervalMs, env, backoff: this.options.nvidiaSmiBackoffMs ?? { initial: 1000, max: 30_000 } }),
        ),
      );
    }
    if (this.options.drmRoot !== null) use(await safely('AMD GPU', () => probeAmdHwmon(this.options.drmRoot ?? DEFAULT_DRM_ROOT, this.intervalMs)));
    if (process.platform === 'darwin') lines.push('skipped: Apple powermetrics is not supported yet (it needs sudo)');

    // CPU and RAM: RAPL where energy_uj is readable, labelled estimates for what it does not cover.
    const raplProbe = await safely('RAPL', () => probeRapl(this.options.powercapRoot ?? DEFAULT_POWERCAP_ROOT, this.intervalMs, now()));
    const raplFailure = raplProbe.ok ? undefined : raplProbe.reason;
    use(raplProbe);
    const covered = new Set<ComponentKind>(this.sources.flatMap((source) => [...source.covers()]));
    const estimate = new Set<'cpu' | 'ram'>((['cpu', 'ram'] as const).filter((kind) => !covered.has(kind)));
    if (estimate.size > 0) {
      // The RAPL failure (with its fix) travels on the estimated CPU reading, where the user sees "estimated".
      const unreadable = raplFailure?.includes('not readable') ? [raplFailure] : [];
      this.sources.push(createEstimateSource(estimate, this.options, this.intervalMs, now(), { cpu: unreadable }));
    }
    this.lines = [...this.sources.flatMap((source) => source.describe()), ...lines];
    if (this.stopped) {
      await this.stopSources();
      return;
    }
    this.firstTickMs = this.lastTickMs = now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    try {
      const monotonicMs = performance.now();
      if (this.lastTickMs !== undefined && monotonicMs - this.lastTickMs > GAP_PERIODS * this.intervalMs) this.missingMs += monotonicMs - this.lastTickMs;
      this.lastTickMs = monotonicMs;
      const components = this.sources.flatMap((source) => this.readSource(source, monotonicMs));
      const elapsed = monotonicMs - (this.firstTickMs ?? monotonicMs);
      const tickCoverage = elapsed > 0 ? Math.max(0, 1 - this.missingMs / elapsed) : 1;
      const coverage = Math.min(tickCoverage, ...components.map((component) => component.coverage ?? 1));
      const sample: PowerSample = {
        timestampMs: Date.now(),
        monotonicMs,
        components,
        totalWatts: components.reduce((sum, component) => sum + (component.watts ?? 0), 0),
        totalEnergyJ: components.reduce((sum, component) => sum + component.energyJ, 0),
        coverage,
      };
      this.last = sample;
      for (const listener of [...this.listeners]) {
        try {
          listener(sample);
        } catch {
          // A listener's bug must not stop the sampler or the other listeners.
        }
      }
    } catch {
      // Reading is already guarded per source; this only protects the timer from the unexpected.
    }
  }

  private readSource(source: PowerSource, monotonicMs: number): ComponentReading[] {
    try {
      const readings = source.read(monotonicMs);
      for (const reading of readings) this.lastReadings.set(reading.id, reading);
      return readings;
    } catch (error) {
      const previous = [...this.lastReadings.values()].filter((reading) => source.covers().has(reading.kind) && reading.method !== 'estimated');
      const message = `${source.label} failed: ${errorText(error)}`;
      return previous.map((reading) => ({ ...reading, watts: null, warnings: [...(reading.warnings ?? []), message] }));
    }
  }

  onSample(listener: (sample: PowerSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  latest(): PowerSample | undefined {
    return this.last;
  }

  describeSources(): string[] {
    return [...this.lines];
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
    if (this.starting) await this.starting.catch(() => undefined);
    await this.stopSources();
  }

  private async stopSources(): Promise<void> {
    const sources = this.sources;
    this.sources = [];
    await Promise.all(sources.map((source) => source.stop().catch(() => undefined)));
  }
}
