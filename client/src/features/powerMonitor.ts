/**
 * The one power sampler the power panel and the power status bar item share. It samples only while someone holds it
 * (a visible panel, the status item, a followed run), keeps the last minutes of samples for the chart, counts energy
 * across sampler restarts, and turns the energy of the current session — since the panel opened or was reset, or
 * since a profiled run began (`followRun`) — into CO2e with the carbon model's grid intensity.
 *
 * No vscode import: the extension feeds it settings and subscribes to it, and unit tests drive it with a fake sampler.
 */
import { applyOverrides, formatEnergy, formatMass, loadTables, resolveLocation } from '../../../shared/src/carbon/index';
import {
  CHART_WINDOW_MS,
  type ChartPoint,
  type ComponentView,
  type PanelView,
  type SeriesInfo,
  type SessionView,
} from '../../../shared/src/power/panelProtocol';
import type { PowerSample, PowerSampler, PowerSamplerOptions } from '../../../shared/src/power/types';

const JOULES_PER_KWH = 3.6e6;
/** History cap besides the time window, for very short sampling periods. */
const MAX_HISTORY_POINTS = 6000;

export interface PowerMonitorSettings {
  sampler: PowerSamplerOptions & { intervalMs: number };
  /** `greenAI.location`. */
  location: string;
  /** `greenAI.carbon.overrides` (already validated). */
  carbonOverrides: unknown;
  /** Shown in the panel: why a setting is not applied (Restricted Mode). */
  notes?: string[];
}

export interface PowerMonitorDeps {
  createSampler(options: PowerSamplerOptions): PowerSampler;
  /** Wall-clock ms (Date.now in the extension). */
  now(): number;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface MonitorUpdate {
  point: ChartPoint;
  series: SeriesInfo[];
  view: PanelView;
}

export interface MonitorSnapshot {
  history: ChartPoint[];
  series: SeriesInfo[];
  view: PanelView | null;
  status: string | null;
}

interface HistoryPoint extends ChartPoint {
  /** Joules per component counted since the monitor was created, at this point. */
  energyJ: Record<string, number>;
}

interface Session {
  kind: SessionView['kind'];
  label: string;
  startMs: number;
  measuredFromMs: number;
  /** Per-component cumulative joules at the session's start. */
  baseline: Record<string, number>;
}

interface Intensity {
  value: { gCO2ePerKWh: number; label: string } | null;
  note?: string;
}

export interface Disposable {
  dispose(): void;
}

export class PowerMonitor implements Disposable {
  private readonly holds = new Set<symbol>();
  private sampler: PowerSampler | undefined;
  private samplerOptionsKey = '';
  private unsubscribe: (() => void) | undefined;
  /** Serialises start/stop so that quick hold/release sequences never leave two samplers or a stray one. */
  private chain: Promise<void> = Promise.resolve();
  private readonly cumulative = new Map<string, number>();
  /** Energy each component had reached in the current sampler instance (its counters restart with it). */
  private readonly lastInstanceEnergy = new Map<string, number>();
  private history: HistoryPoint[] = [];
  private series: SeriesInfo[] = [];
  private session: Session | undefined;
  private latestView: PanelView | null = null;
  private status: string | null = null;
  private intensity: Intensity = { value: null };
  private readonly updateListeners = new Set<(update: MonitorUpdate) => void>();
  private readonly statusListeners = new Set<(message: string | null) => void>();
  private runHold: Disposable | undefined;
  private disposed = false;

  constructor(
    private settings: PowerMonitorSettings,
    private readonly deps: PowerMonitorDeps,
  ) {
    this.intensity = resolveIntensity(settings);
  }

  /** Keeps sampling on until the returned handle is disposed. */
  hold(): Disposable {
    const token = Symbol('power hold');
    this.holds.add(token);
    this.reconcile();
    let released = false;
    return {
      dispose: () => {
        if (released) return;
        released = true;
        this.holds.delete(token);
        this.reconcile();
      },
    };
  }

  get sampling(): boolean {
    return this.sampler !== undefined;
  }

  /** New settings: the sampler restarts if its options changed; the carbon intensity is looked up again. */
  configure(settings: PowerMonitorSettings): void {
    this.settings = settings;
    this.intensity = resolveIntensity(settings);
    this.reconcile();
  }

  /**
   * Counts the session from `startMs` (a profiled run's start, possibly a little in the past) under `label`, and keeps
   * sampling until `endRun`. Energy before the oldest kept sample is not known; the session then says from when it counts.
   */
  followRun(label: string, startMs: number): void {
    this.session = this.sessionFrom('run', label, startMs);
    if (!this.runHold) this.runHold = this.hold();
    this.republish();
  }

  /** The followed run ended: back to counting since now, under the panel's label. */
  endRun(): void {
    this.runHold?.dispose();
    this.runHold = undefined;
    if (this.session?.kind === 'run') this.session = this.sessionFrom('panel', 'panel opened', this.deps.now());
    this.republish();
  }

  /** The running job's label and energy (kWh), when a run is followed. */
  runEnergy(): { label: string; kWh: number; text: string } | undefined {
    if (this.session?.kind !== 'run') return undefined;
    const joules = this.sessionEnergy(this.session).total;
    return { label: this.session.label, kWh: joules / JOULES_PER_KWH, text: formatEnergy(joules / JOULES_PER_KWH) };
  }

  /** Starts a panel session now ("panel opened" or "reset"), unless a run is being followed. */
  resetSession(label = 'panel opened'): void {
    if (this.session?.kind === 'run') return;
    this.session = this.sessionFrom('panel', label, this.deps.now());
    this.republish();
  }

  onUpdate(listener: (update: MonitorUpdate) => void): Disposable {
    this.updateListeners.add(listener);
    return { dispose: () => this.updateListeners.delete(listener) };
  }

  onStatus(listener: (message: string | null) => void): Disposable {
    this.statusListeners.add(listener);
    return { dispose: () => this.statusListeners.delete(listener) };
  }

  snapshot(): MonitorSnapshot {
    return { history: this.history.map(({ t, watts }) => ({ t, watts })), series: [...this.series], view: this.latestView, status: this.status };
  }

  latest(): PanelView | null {
    return this.latestView;
  }

  /** Resolves once every pending start/stop has finished (tests, deactivate). */
  settled(): Promise<void> {
    return this.chain;
  }

  dispose(): void {
    this.disposed = true;
    this.holds.clear();
    this.runHold = undefined;
    this.updateListeners.clear();
    this.statusListeners.clear();
    // Stop the children now rather than after queued work: the extension host may exit right after disposing.
    const sampler = this.sampler;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.sampler = undefined;
    void sampler?.stop().catch((error: unknown) => this.deps.log('error', `power sampler did not stop: ${describe(error)}`));
    this.reconcile();
  }

  private reconcile(): void {
    this.chain = this.chain.then(() => this.applyWantedState()).catch((error: unknown) => {
      this.deps.log('error', `power sampler: ${describe(error)}`);
    });
  }

  private async applyWantedState(): Promise<void> {
    const wanted = !this.disposed && this.holds.size > 0;
    const optionsKey = JSON.stringify(this.settings.sampler);
    if (this.sampler && (!wanted || optionsKey !== this.samplerOptionsKey)) await this.stopSampler();
    if (!wanted || this.sampler) return;
    const sampler = this.deps.createSampler({ ...this.settings.sampler });
    this.sampler = sampler;
    this.samplerOptionsKey = optionsKey;
    this.lastInstanceEnergy.clear();
    this.unsubscribe = sampler.onSample((sample) => {
      if (this.sampler === sampler) this.accept(sample);
    });
    try {
      await sampler.start();
      this.setStatus(null);
      this.deps.log('info', `power sampling every ${this.settings.sampler.intervalMs} ms: ${sampler.describeSources().join('; ')}`);
    } catch (error) {
      this.setStatus(`Power sampling did not start: ${describe(error)}`);
      this.deps.log('error', `power sampler did not start: ${describe(error)}`);
      await this.stopSampler();
    }
  }

  private async stopSampler(): Promise<void> {
    const sampler = this.sampler;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.sampler = undefined;
    await sampler?.stop();
  }

  private setStatus(message: string | null): void {
    this.status = message;
    for (const listener of this.statusListeners) listener(message);
  }

  /** One sample: energy deltas into the cumulative counts, a history point, the view, and the listeners. */
  private accept(sample: PowerSample): void {
    for (const component of sample.components) {
      const previous = this.lastInstanceEnergy.get(component.id) ?? 0;
      this.lastInstanceEnergy.set(component.id, component.energyJ);
      const delta = Math.max(0, component.energyJ - previous);
      this.cumulative.set(component.id, (this.cumulative.get(component.id) ?? 0) + delta);
    }
    const point: HistoryPoint = {
      t: sample.timestampMs,
      watts: Object.fromEntries(sample.components.map((component) => [component.id, wattsOrNull(component.watts)])),
      energyJ: Object.fromEntries(this.cumulative),
    };
    this.history.push(point);
    const oldest = sample.timestampMs - CHART_WINDOW_MS;
    let drop = 0;
    while (drop < this.history.length && (this.history[drop]!.t < oldest || this.history.length - drop > MAX_HISTORY_POINTS)) drop++;
    if (drop > 0) this.history = this.history.slice(drop);
    this.series = sample.components.map((component) => ({ id: component.id, name: component.name, kind: component.kind }));
    this.session ??= this.sessionFrom('panel', 'panel opened', sample.timestampMs);
    this.latestView = this.buildView(sample);
    const update: MonitorUpdate = { point: { t: point.t, watts: point.watts }, series: this.series, view: this.latestView };
    for (const listener of this.updateListeners) listener(update);
  }

  /** After a session change: the latest sample's view again, with the new session (no new chart point). */
  private republish(): void {
    const sample = this.sampler?.latest();
    if (!sample || !this.latestView) return;
    this.latestView = this.buildView(sample);
    const last = this.history[this.history.length - 1];
    if (!last) return;
    const update: MonitorUpdate = { point: { t: last.t, watts: last.watts }, series: this.series, view: this.latestView };
    for (const listener of this.updateListeners) listener(update);
  }

  private sessionFrom(kind: Session['kind'], label: string, startMs: number): Session {
    // The last kept point at or before the start carries the energy counted up to then.
    let before: HistoryPoint | undefined;
    for (const point of this.history) {
      if (point.t <= startMs) before = point;
      else break;
    }
    if (before) return { kind, label, startMs, measuredFromMs: startMs, baseline: { ...before.energyJ } };
    const first = this.history[0];
    if (first && first.t > startMs && kind === 'run') return { kind, label, startMs, measuredFromMs: first.t, baseline: { ...first.energyJ } };
    return { kind, label, startMs, measuredFromMs: Math.max(startMs, this.deps.now()), baseline: Object.fromEntries(this.cumulative) };
  }

  private sessionEnergy(session: Session): { total: number; byComponent: Map<string, number> } {
    const byComponent = new Map<string, number>();
    let total = 0;
    for (const [id, joules] of this.cumulative) {
      const since = Math.max(0, joules - (session.baseline[id] ?? 0));
      byComponent.set(id, since);
      total += since;
    }
    return { total, byComponent };
  }

  private buildView(sample: PowerSample): PanelView {
    const session = this.session ?? this.sessionFrom('panel', 'panel opened', sample.timestampMs);
    const energy = this.sessionEnergy(session);
    const kWh = energy.total / JOULES_PER_KWH;
    const intensity = this.intensity.value;
    const co2eG = intensity ? kWh * intensity.gCO2ePerKWh : null;
    const components: ComponentView[] = sample.components.map((component) => {
      const sessionEnergyJ = energy.byComponent.get(component.id) ?? 0;
      const view: ComponentView = {
        id: component.id,
        kind: component.kind,
        name: component.name,
        method: component.method,
        source: component.source,
        watts: wattsOrNull(component.watts),
        sessionEnergyJ,
        sessionEnergyText: formatEnergy(sessionEnergyJ / JOULES_PER_KWH),
      };
      if (component.utilizationPercent !== undefined) view.utilizationPercent = finiteOrNull(component.utilizationPercent);
      if (component.memoryUsedMiB !== undefined) view.memoryUsedMiB = finiteOrNull(component.memoryUsedMiB);
      if (component.memoryTotalMiB !== undefined) view.memoryTotalMiB = finiteOrNull(component.memoryTotalMiB);
      if (component.powerLimitW !== undefined) view.powerLimitW = finiteOrNull(component.powerLimitW);
      if (component.shared !== undefined) view.shared = component.shared;
      if (component.warnings?.length) view.warnings = [...component.warnings];
      return view;
    });
    const sessionView: SessionView = {
      kind: session.kind,
      label: session.label,
      startMs: session.startMs,
      measuredFromMs: session.measuredFromMs,
      energyJ: energy.total,
      energyText: formatEnergy(kWh),
      co2eG,
      co2eText: co2eG === null ? null : formatMass(co2eG / 1000),
      intensity,
    };
    if (this.intensity.note) sessionView.carbonNote = this.intensity.note;
    return {
      timestampMs: sample.timestampMs,
      totalWatts: Math.max(0, finiteOrNull(sample.totalWatts) ?? 0),
      coverage: Math.min(1, Math.max(0, finiteOrNull(sample.coverage) ?? 0)),
      components,
      session: sessionView,
      sources: this.sampler?.describeSources() ?? [],
      notes: [...(this.settings.notes ?? [])],
      intervalMs: this.settings.sampler.intervalMs,
    };
  }
}

/**
 * The grid intensity for `greenAI.location` with the user's table overrides. Measured power is the machine's own, so
 * no datacenter PUE is applied; the note says so.
 */
function resolveIntensity(settings: PowerMonitorSettings): Intensity {
  const tables = loadTables();
  if (!tables.ok) return { value: null, note: `carbon tables did not load: ${tables.problems.map((p) => p.message).join('; ')}` };
  const withOverrides = applyOverrides(tables.value, settings.carbonOverrides);
  const resolved = resolveLocation(settings.location, withOverrides.ok ? withOverrides.value : tables.value);
  if (!resolved.ok) {
    return { value: null, note: `greenAI.location "${settings.location}": ${resolved.problems.map((p) => p.message).join('; ')}` };
  }
  return {
    value: { gCO2ePerKWh: resolved.value.gCO2ePerKWh, label: resolved.value.label },
    note: 'measured machine power × grid intensity; no datacenter PUE applied',
  };
}

function finiteOrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

/** Watts as the panel shows them: a negative or non-finite reading is no reading. */
function wattsOrNull(value: number | null | undefined): number | null {
  const finite = finiteOrNull(value);
  return finite === null || finite < 0 ? null : finite;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
