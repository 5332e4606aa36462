/**
 * The footprint report as one self-contained HTML page: inline CSS (VS Code theme variables, with fallbacks for a
 * browser), an inline SVG bar chart of energy per run, no script and nothing remote, so the client can show it in a
 * webview under a strict CSP (pass its nonce) and a reviewer can open the file as is.
 */
import type { RunRecord } from '../schema';
import { commandLine } from './markdown';
import { METHOD_NOTES, componentEnergyKWh, duration, embodiedText, energyBasis, estimateText, exitOf, gpuModelsOf, kWh, kg, liters, percent, sourcesOf, totalsOf, watts, type ReportInput } from './common';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
const h = escapeHtml;

const STYLE = `
body { font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 14px);
  color: var(--vscode-foreground, #1f1f1f); background: var(--vscode-editor-background, #ffffff); margin: 1.5em; line-height: 1.45; }
h1, h2, h3 { font-weight: 600; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid var(--vscode-panel-border, #d0d0d0); padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: var(--vscode-editorWidget-background, #f3f3f3); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: var(--vscode-editor-font-family, ui-monospace, monospace); background: var(--vscode-textCodeBlock-background, #f0f0f0); padding: 0 0.2em; }
.muted { color: var(--vscode-descriptionForeground, #616161); }
.warn { color: var(--vscode-editorWarning-foreground, #9a6700); }
.bar { fill: var(--vscode-charts-green, #388a34); }
.axis { fill: var(--vscode-descriptionForeground, #616161); font-size: 11px; }
a { color: var(--vscode-textLink-foreground, #005fb8); }
`;

function chart(runs: readonly RunRecord[]): string {
  if (runs.length < 2) return '';
  const max = Math.max(...runs.map((r) => r.energy.energyKWh), Number.MIN_VALUE);
  const rowH = 20;
  const labelW = 260;
  const barW = 360;
  const height = runs.length * rowH + 4;
  const rows = runs
    .map((run, i) => {
      const w = Math.max(1, (run.energy.energyKWh / max) * barW);
      const y = i * rowH + 2;
      return `<text class="axis" x="0" y="${y + 14}">${h(run.id.length > 40 ? `${run.id.slice(0, 39)}…` : run.id)}</text><rect class="bar" x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}"><title>${h(`${run.id}: ${kWh(run.energy.energyKWh)}`)}</title></rect><text class="axis" x="${(labelW + w + 6).toFixed(1)}" y="${y + 14}">${h(kWh(run.energy.energyKWh))}</text>`;
    })
    .join('');
  return `<h2>IT energy per run</h2><svg role="img" aria-label="IT energy per run" width="${labelW + barW + 120}" height="${height}" xmlns="http://www.w3.org/2000/svg">${rows}</svg>`;
}

export interface HtmlOptions {
  /** The webview's CSP nonce; without it the page allows its own inline style only. */
  nonce?: string;
}

export function formatHtml(input: ReportInput, options: HtmlOptions = {}): string {
  const { runs } = input;
  const totals = totalsOf(runs);
  const nonceAttr = options.nonce ? ` nonce="${h(options.nonce)}"` : '';
  const csp = options.nonce ? `default-src 'none'; style-src 'nonce-${h(options.nonce)}'; img-src data:` : "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
  const parts: string[] = [];
  parts.push(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Energy and carbon footprint report</title><style${nonceAttr}>${STYLE}</style></head><body>`,
  );
  parts.push('<h1>Energy and carbon footprint report</h1>');
  const statuses = Object.entries(totals.byStatus).map(([s, n]) => `${n} ${s}`).join(', ');
  parts.push(`<p class="muted">Generated ${h(input.generatedAt.toISOString())} by green-ai ${h(input.version)} from <code>${h(input.scope)}</code>: ${runs.length} run${runs.length === 1 ? '' : 's'}${statuses ? ` (${h(statuses)})` : ''}.</p>`);
  parts.push('<h2>Totals</h2><table><tbody>');
  for (const [what, value] of [
    [`IT energy (${energyBasis(runs)})`, kWh(totals.energyKWh)],
    ['Facility energy (IT × PUE)', kWh(totals.facilityEnergyKWh)],
    ['CO2e (operational, location-based)', kg(totals.co2eKg)],
    ...(totals.embodiedRuns > 0
      ? [[`CO2e (embodied: hardware manufacturing, amortised${totals.embodiedRuns < runs.length ? `; ${totals.embodiedRuns} of ${runs.length} runs` : ''})`, kg(totals.embodiedKg)] as const]
      : []),
    ['Water (on-site + off-site)', liters(totals.waterL)],
    ['Run time', duration(totals.durationS)],
  ] as const) {
    parts.push(`<tr><th>${h(what)}</th><td class="num">${h(value)}</td></tr>`);
  }
  parts.push('</tbody></table>');
  parts.push(chart(runs));
  if (runs.length > 0) {
    parts.push('<h2>Runs</h2><table><thead><tr><th>run</th><th>started (UTC)</th><th>duration</th><th>status</th><th>exit</th><th>IT energy</th><th>CO2e</th><th>location</th><th>coverage</th><th>estimate</th></tr></thead><tbody>');
    for (const run of runs) {
      parts.push(
        `<tr><td><a href="#${h(anchor(run.id))}">${h(run.id)}</a></td><td>${h(run.startedAt)}</td><td class="num">${h(duration(run.durationS))}</td><td>${h(run.status)}</td><td>${h(exitOf(run))}</td><td class="num">${h(kWh(run.energy.energyKWh))}</td><td class="num">${h(kg(run.co2eKg))}</td><td>${h(run.location.label)}</td><td class="num">${h(percent(run.energy.coverage))}</td><td>${h(estimateText(run))}</td></tr>`,
      );
    }
    parts.push('</tbody></table>');
  }
  for (const run of runs) {
    parts.push(`<h2 id="${h(anchor(run.id))}">Run ${h(run.id)}</h2><ul>`);
    parts.push(`<li>Command: <code>${h(commandLine(run))}</code></li>`);
    parts.push(`<li>Working directory: <code>${h(run.cwd)}</code>${run.gitCommit ? ` at git commit <code>${h(run.gitCommit)}</code>` : ''}</li>`);
    parts.push(`<li>Started ${h(run.startedAt)}, ended ${h(run.endedAt)} (${h(duration(run.durationS))}); status ${h(run.status)}, exit ${h(exitOf(run))}</li>`);
    parts.push(`<li>Host ${h(run.host.hostname)} (${h(run.host.platform)} ${h(run.host.osRelease)}, ${h(run.host.arch)})</li>`);
    parts.push(`<li>Hardware: ${h(run.hardware.gpus.length > 0 ? `${gpuModelsOf(run)}; ` : 'no GPU; ')}${h(run.hardware.cpuModel)} (${run.hardware.cpuCount} logical CPUs); ${run.hardware.ramTotalGB.toFixed(1)} GB RAM</li>`);
    parts.push(`<li>Sampling every ${run.intervalMs} ms, ${run.energy.samples} samples, coverage ${h(percent(run.energy.coverage))}</li>`);
    if (run.baseline) parts.push(`<li>Idle baseline ${h(watts(run.baseline.idleW))} over ${h(duration(run.baseline.durationS))}; energy above idle ${h(kWh(run.baseline.aboveIdleEnergyJ / 3_600_000))}</li>`);
    parts.push(`<li>CO2e ${h(kg(run.co2eKg))} = ${h(kWh(run.energy.energyKWh))} × PUE ${run.pue.value} × ${run.intensity.gCO2ePerKWh} gCO2e/kWh (${h(run.location.label)}); water ${h(liters(run.water.liters))}</li>`);
    parts.push(`<li>Embodied CO2e (not in the figure above): ${h(embodiedText(run))}</li>`);
    if (run.estimate) parts.push(`<li>Pre-run estimate ${h(estimateText(run))} from ${h(run.estimate.source)}</li>`);
    parts.push('</ul>');
    if (run.components.length > 0) {
      parts.push('<table><thead><tr><th>component</th><th>method</th><th>source</th><th>energy</th><th>average</th><th>peak</th><th>samples</th><th>coverage</th><th>attribution</th></tr></thead><tbody>');
      for (const c of run.components) {
        parts.push(
          `<tr><td>${h(c.name)}</td><td>${h(c.method)}</td><td>${h(c.source)}</td><td class="num">${h(kWh(componentEnergyKWh(c)))}</td><td class="num">${h(watts(c.averageW))}</td><td class="num">${h(watts(c.peakW))}</td><td class="num">${c.samples}</td><td class="num">${h(percent(c.coverage))}</td><td>${c.attribution === 'process-tree' ? 'job&#39;s share' : 'whole device'}</td></tr>`,
        );
      }
      parts.push('</tbody></table>');
    }
    const warnings = [...run.warnings, ...run.components.flatMap((c) => c.warnings.map((w) => `${c.name}: ${w}`))];
    if (warnings.length > 0) parts.push(`<ul class="warn">${warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>`);
  }
  if (input.problems.length > 0) {
    parts.push(`<h2>Folders not included</h2><ul>${input.problems.map(({ dir, problem }) => `<li><code>${h(dir)}</code>: ${h(problem)}</li>`).join('')}</ul>`);
  }
  parts.push(`<h2>Method and assumptions</h2><ul>${METHOD_NOTES.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`);
  const sources = sourcesOf(runs);
  if (sources.length > 0) {
    parts.push('<h2>Data sources</h2><table><thead><tr><th>value</th><th>source</th><th>year</th></tr></thead><tbody>');
    for (const { what, source } of sources) {
      const title = source.url && /^https?:\/\//.test(source.url) ? `<a href="${h(source.url)}">${h(source.title)}</a>` : h(source.title);
      parts.push(`<tr><td>${h(what)}</td><td>${title}</td><td>${source.year ?? '—'}</td></tr>`);
    }
    parts.push('</tbody></table>');
  }
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}

function anchor(id: string): string {
  return `run-${id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}
