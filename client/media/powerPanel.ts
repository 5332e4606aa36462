/**
 * The power panel's page script (bundled by esbuild into dist/media/powerPanel.js, an IIFE with uPlot inside; it runs
 * in the webview, not in Node). It validates every message from the extension, keeps the recent samples, redraws at
 * most twice a second, and saves what it shows with setState so that a re-shown or restored panel starts complete.
 */
import uPlot from 'uplot';
import {
  CHART_WINDOW_MS,
  describeIssue,
  MIN_REDRAW_INTERVAL_MS,
  panelState,
  toWebview,
  type ChartPoint,
  type ComponentView,
  type FromWebview,
  type PanelState,
  type PanelView,
  type SeriesInfo,
} from '../../shared/src/power/panelProtocol';
import {
  createThrottle,
  formatMemory,
  formatPercent,
  formatWatts,
  seriesChanged,
  seriesColourVariable,
  toAlignedColumns,
  trimHistory,
} from './chartModel';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const MAX_POINTS = 6000;
const CHART_HEIGHT = 260;
// The time axis spans at least this much, then grows with the data up to the chart window: a fresh panel shows its first
// samples across the chart rather than as a dot at the right edge of an empty minute.
const MIN_X_SPAN_S = 10;

let history: ChartPoint[] = [];
let series: SeriesInfo[] = [];
let view: PanelView | null = null;
let status: string | null = null;
let chart: uPlot | undefined;
let chartSeries: SeriesInfo[] = [];

const restored = panelState.safeParse(vscode.getState());
if (restored.success) {
  history = restored.data.history;
  series = restored.data.series;
  view = restored.data.view;
}

const throttle = createThrottle(
  MIN_REDRAW_INTERVAL_MS,
  { now: () => performance.now(), setTimeout: (callback, ms) => window.setTimeout(callback, ms), clearTimeout: (handle) => window.clearTimeout(handle as number) },
  render,
);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = toWebview.safeParse(event.data);
  if (!parsed.success) {
    console.warn(`Green AI power panel: ignored a malformed message (${describeIssue(parsed.error)})`);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'snapshot':
      history = message.history;
      series = message.series;
      view = message.view ?? view;
      status = message.status;
      break;
    case 'sample':
      if (history[history.length - 1]?.t !== message.point.t) history.push(message.point);
      history = trimHistory(history, CHART_WINDOW_MS, MAX_POINTS);
      series = message.series;
      view = message.view;
      break;
    case 'status':
      status = message.message;
      break;
  }
  throttle.request();
});

element('reset').addEventListener('click', () => vscode.postMessage({ type: 'resetSession' }));
new ResizeObserver(() => chart?.setSize({ width: chartWidth(), height: CHART_HEIGHT })).observe(element('chart'));
// VS Code swaps the body's theme class and the CSS variables together: rebuild the chart with the new colours.
new MutationObserver(() => rebuildChart()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

if (history.length > 0 || view) render();
vscode.postMessage({ type: 'ready' });

function render(): void {
  renderChart();
  renderText();
  vscode.setState({ version: 1, history, series, view });
}

function renderChart(): void {
  // How many samples the chart holds: lets a test see that a re-shown panel kept its history.
  element('chart').dataset.points = String(history.length);
  if (!chart || seriesChanged(chartSeries, series)) rebuildChart();
  else chart.setData(toAlignedColumns(history, series, CHART_WINDOW_MS) as uPlot.AlignedData);
}

function rebuildChart(): void {
  chart?.destroy();
  chart = undefined;
  chartSeries = [...series];
  if (series.length === 0) return;
  const foreground = cssVariable('--vscode-foreground');
  const grid = cssVariable('--vscode-editorWidget-border') || cssVariable('--vscode-panel-border') || foreground;
  const perKind = new Map<SeriesInfo['kind'], number>();
  const options: uPlot.Options = {
    width: chartWidth(),
    height: CHART_HEIGHT,
    // At least a minute of x (no sub-second ticks while the history is short) and y from 0 W.
    scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - MIN_X_SPAN_S), max] }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
    axes: [
      { stroke: foreground, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
      { stroke: foreground, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, label: 'W', values: (_u, ticks) => ticks.map((tick) => `${tick}`) },
    ],
    legend: { show: true },
    series: [
      {},
      ...series.map((info) => {
        const index = perKind.get(info.kind) ?? 0;
        perKind.set(info.kind, index + 1);
        return {
          label: info.name,
          stroke: cssVariable(seriesColourVariable(info.kind, index)) || foreground,
          width: 2,
          spanGaps: false,
          // Without the cursor over the chart the legend shows each series' latest value instead of a dash.
          value: (u: uPlot, value: number | null, seriesIndex: number, index: number | null) =>
            formatWatts(index === null ? latestValue(u.data[seriesIndex]) : value),
        };
      }),
    ],
  };
  chart = new uPlot(options, toAlignedColumns(history, series, CHART_WINDOW_MS) as uPlot.AlignedData, element('chart'));
}

function renderText(): void {
  const statusBox = element('status');
  statusBox.hidden = status === null;
  statusBox.textContent = status ?? '';
  if (!view) return;
  element('total-watts').textContent = `${Math.round(view.totalWatts)} W`;
  const session = view.session;
  element('session-energy').textContent = session.energyText;
  element('session-co2e').textContent = session.co2eText === null ? 'CO2e unknown' : `${session.co2eText} CO2e`;
  const since = clock(session.startMs);
  const measured = session.measuredFromMs - session.startMs > 2 * view.intervalMs ? `, measured from ${clock(session.measuredFromMs)}` : '';
  element('session-label').textContent =
    session.kind === 'run' ? `since run ${session.label} began at ${since}${measured}` : `since ${since} (${session.label})${measured}`;
  const intensity = session.intensity ? `${session.intensity.label}, ${Math.round(session.intensity.gCO2ePerKWh)} g CO2e/kWh` : '';
  const coverage = view.coverage < 0.95 ? `samples cover ${Math.round(view.coverage * 100)}% of the time` : '';
  element('carbon-note').textContent = [intensity, session.carbonNote, coverage, `sampled every ${view.intervalMs} ms`].filter(Boolean).join(' · ');

  element('notes').replaceChildren(...view.notes.map((note) => cell('div', note)));
  const body = element('components').querySelector('tbody');
  if (body) body.replaceChildren(...view.components.map(componentRow));
  const sources = element('sources').querySelector('ul');
  if (sources) sources.replaceChildren(...view.sources.map((line) => cell('li', line)));
}

function componentRow(component: ComponentView): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.componentId = component.id;
  row.dataset.method = component.method;
  const name = cell('td', component.name, 'name');
  if (component.shared) name.append(' ', cell('span', '(MIG: whole-board power)', 'muted'));
  const isGpu = component.kind === 'gpu';
  const source = cell('td', component.source, component.method === 'estimated' ? 'source estimated' : 'source');
  for (const warning of component.warnings ?? []) source.append(cell('div', warning, 'warning'));
  row.append(
    name,
    cell('td', formatWatts(component.watts), 'watts'),
    cell('td', isGpu ? formatPercent(component.utilizationPercent) : '', 'utilization'),
    cell('td', isGpu ? formatMemory(component.memoryUsedMiB, component.memoryTotalMiB) : '', 'memory'),
    cell('td', component.sessionEnergyText, 'energy'),
    source,
  );
  return row;
}

function cell<K extends keyof HTMLElementTagNameMap>(tag: K, text: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

function element(id: string): HTMLElement {
  const node = document.getElementById(id);
  if (!node) throw new Error(`power panel: #${id} missing from the page`);
  return node;
}

function latestValue(column: ArrayLike<number | null | undefined> | undefined): number | null {
  for (let index = (column?.length ?? 0) - 1; index >= 0; index--) {
    const value = column?.[index];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

function cssVariable(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function chartWidth(): number {
  return Math.max(200, element('chart').clientWidth);
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}
