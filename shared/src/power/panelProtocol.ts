/**
 * Messages between the power panel webview (client/media/powerPanel.ts) and the extension
 * (client/src/features/powerPanel.ts), and the webview's persisted state. Both sides validate what they receive with
 * these schemas: a webview can be restored from stale state written by an older version, and nothing that crosses
 * postMessage is trusted. Written with zod/mini because the webview bundles it: the classic API with its locales
 * would add about 450 KB to the page, zod/mini about 15 KB.
 */
import * as z from 'zod/mini';

export const POWER_PANEL_VIEW_TYPE = 'greenAI.powerPanel';
export const SHOW_POWER_PANEL_COMMAND = 'greenAI.showPowerPanel';

/** zod 4 numbers are finite already (no Infinity, no NaN). */
const finite = z.number();
const nonNegative = z.number().check(z.minimum(0));
const watts = z.nullable(nonNegative);
const text = z.string();
const nonEmpty = z.string().check(z.minLength(1));
const componentKind = z.enum(['gpu', 'cpu', 'ram']);

/** One component as the panel shows it: the sampler's reading plus the energy since the session began. */
export const componentView = z.object({
  id: nonEmpty,
  kind: componentKind,
  name: text,
  method: z.enum(['nvml-energy-counter', 'nvml-power', 'nvidia-smi', 'amd-hwmon', 'rapl', 'estimated']),
  source: text,
  watts,
  /** Joules since the session (panel opened, reset, or followed run) began. */
  sessionEnergyJ: nonNegative,
  /** sessionEnergyJ formatted by the carbon model's formatter ("12 Wh"). */
  sessionEnergyText: text,
  utilizationPercent: z.optional(z.nullable(finite)),
  memoryUsedMiB: z.optional(z.nullable(finite)),
  memoryTotalMiB: z.optional(z.nullable(finite)),
  powerLimitW: z.optional(z.nullable(finite)),
  shared: z.optional(z.boolean()),
  warnings: z.optional(z.array(text)),
});
export type ComponentView = z.infer<typeof componentView>;

/** What "since" means in the panel: since the panel opened or was reset, or since a profiled run began. */
export const sessionView = z.object({
  kind: z.enum(['panel', 'run']),
  /** "panel opened", or the run's label ("train.py"). */
  label: text,
  startMs: finite,
  /** When energy was first measured for this session: later than startMs when the run began before sampling did. */
  measuredFromMs: finite,
  energyJ: nonNegative,
  co2eG: z.nullable(nonNegative),
  /** Formatted by the carbon model's formatters: "0.42 kWh", "196 g". */
  energyText: text,
  co2eText: z.nullable(text),
  /** Grid intensity used for co2eG, with the place it belongs to ("world average", "France"). */
  intensity: z.nullable(z.object({ gCO2ePerKWh: nonNegative, label: text })),
  /** Why co2eG is null, or a caveat about it. */
  carbonNote: z.optional(text),
});
export type SessionView = z.infer<typeof sessionView>;

/** The panel's text: everything but the chart. */
export const panelView = z.object({
  timestampMs: finite,
  totalWatts: nonNegative,
  coverage: z.number().check(z.minimum(0), z.maximum(1)),
  components: z.array(componentView),
  session: sessionView,
  /** The sampler's describeSources() lines. */
  sources: z.array(text),
  /** Why a setting is not applied (Restricted Mode), shown above the table. */
  notes: z.array(text),
  intervalMs: z.number().check(z.positive()),
});
export type PanelView = z.infer<typeof panelView>;

/** One chart point: watts per component id at a wall-clock time. */
export const chartPoint = z.object({
  t: finite,
  watts: z.record(z.string(), watts),
});
export type ChartPoint = z.infer<typeof chartPoint>;

/** Names (and kinds, for colours) of the series the chart draws, by component id. */
export const seriesInfo = z.object({ id: nonEmpty, name: text, kind: componentKind });
export type SeriesInfo = z.infer<typeof seriesInfo>;

export const toWebview = z.discriminatedUnion('type', [
  /** Sent when the webview says it is ready: the recent history, so a re-shown panel has its chart at once. */
  z.object({ type: z.literal('snapshot'), history: z.array(chartPoint), series: z.array(seriesInfo), view: z.nullable(panelView), status: z.nullable(text) }),
  z.object({ type: z.literal('sample'), point: chartPoint, series: z.array(seriesInfo), view: panelView }),
  /** Sampling could not start or stopped: shown instead of stale numbers. null clears it. */
  z.object({ type: z.literal('status'), message: z.nullable(text) }),
]);
export type ToWebview = z.infer<typeof toWebview>;

export const fromWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** The "Reset" button: energy and CO2e count from now. */
  z.object({ type: z.literal('resetSession') }),
]);
export type FromWebview = z.infer<typeof fromWebview>;

/** What the webview keeps with setState, so that hiding and re-showing the panel (or a window reload) keeps the chart. */
export const panelState = z.object({
  version: z.literal(1),
  history: z.array(chartPoint),
  series: z.array(seriesInfo),
  view: z.nullable(panelView),
});
export type PanelState = z.infer<typeof panelState>;

/** How much history the extension keeps and the chart shows. */
export const CHART_WINDOW_MS = 10 * 60 * 1000;
/** The chart redraws at most this often (twice a second), whatever the sampling period. */
export const MIN_REDRAW_INTERVAL_MS = 500;

/** "view.session.co2eG: Invalid input" — the first problem of a failed validation, with where it is. */
export function describeIssue(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  return issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}
