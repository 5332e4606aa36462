import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { computeRunRecord, type RunEnd } from '../../../shared/src/runs/finalize';
import { CODECARBON_COLUMNS, formatCsv } from '../../../shared/src/runs/reports/csv';
import { formatHtml } from '../../../shared/src/runs/reports/html';
import { formatMarkdown } from '../../../shared/src/runs/reports/markdown';
import { formatModelCard } from '../../../shared/src/runs/reports/modelCard';
import { energyBasis, type ReportInput } from '../../../shared/src/runs/reports/common';
import type { RunRecord } from '../../../shared/src/runs/schema';
import { T0, header, standardSamples } from './synthetic';

function record(patch: Parameters<typeof header>[0] = {}, end: RunEnd | null = { endedAt: new Date(T0 + 3500).toISOString(), exitCode: 0, status: 'completed' }): RunRecord {
  const result = computeRunRecord(header(patch), standardSamples(), end ?? undefined);
  assert.ok(result.ok, result.ok ? '' : result.problem);
  return result.record;
}

const sumJ = (run: RunRecord) => run.components.reduce((total, c) => total + c.energyJ, 0);

function input(runs: RunRecord[]): ReportInput {
  return { runs, problems: [{ dir: '/runs/broken', problem: 'run.json: command: expected array' }], generatedAt: new Date(T0 + 60_000), version: '0.1.0', scope: '.green-ai/runs' };
}

/** Splits one CSV line (RFC 4180 quoting). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cell += '"'), (i += 1);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') cells.push(cell), (cell = '');
    else cell += ch;
  }
  cells.push(cell);
  return cells;
}

describe('runs: reports', () => {
  const a = record({ id: '20260102T030000Z-a', label: 'a' });
  const b = record({ id: '20260102T040000Z-b', label: 'b, "quoted"', location: 'gcp:europe-west1' }, null);

  it('labels the IT energy total by how it was obtained: measured, partly measured, or estimated', () => {
    assert.equal(energyBasis([a]), 'measured');
    const withEstimatedRam: RunRecord = { ...a, components: [...a.components, { ...a.components[1]!, id: 'ram:estimated', kind: 'ram', method: 'estimated', energyJ: sumJ(a) }] };
    assert.equal(energyBasis([withEstimatedRam]), '50% measured, the rest estimated');
    const modelled: RunRecord = { ...a, components: a.components.map((c) => ({ ...c, method: 'estimated' as const })) };
    assert.equal(energyBasis([modelled]), 'estimated: no power meter');
    assert.match(formatMarkdown(input([modelled])), /\| IT energy \(estimated: no power meter\) \|/);
    assert.doesNotMatch(formatHtml(input([modelled]), {}), /IT energy \(measured\)/);
  });

  it('reports embodied CO2e beside the operational figure, its sources, and says when a run has none', () => {
    assert.ok(a.embodied && a.embodied.co2eKg !== null && a.embodied.co2eKg > 0);
    const legacy: RunRecord = { ...b };
    delete legacy.embodied;
    const cpuOnly = record({ id: '20260102T050000Z-c', label: 'c', hardware: { gpus: [], cpuModel: 'x', cpuCount: 8, ramTotalGB: 16 } });
    const md = formatMarkdown(input([a, legacy, cpuOnly]));
    assert.match(md, /\| CO2e \(embodied: hardware manufacturing, amortised; 1 of 3 runs\) \| [\d.]+ (m|µ)?g \|/);
    assert.match(md, /- Embodied CO2e \(not in the figure above\): [\d.]+ (m|µ)?g \(1× H100 SXM for /);
    assert.match(md, /- Embodied CO2e \(not in the figure above\): not computed \(recorded before green-ai reported it\)/);
    assert.match(md, /- Embodied CO2e \(not in the figure above\): not included: no accelerator/);
    assert.match(md, /\| embodied: Hardware lifespan \(6 years\) \| \[Luccioni/);
    // The proxy footprint for an H100 is a warning of the figure, not a silent default.
    assert.ok(a.embodied.warnings.some((w) => /H100.*A100 figure as a proxy/.test(w)), a.embodied.warnings.join('; '));
    const html = formatHtml(input([a, legacy, cpuOnly]), {});
    assert.match(html, /<th>CO2e \(embodied: hardware manufacturing, amortised; 1 of 3 runs\)<\/th>/);
    // CodeCarbon's emissions column stays the operational figure.
    assert.equal(Number(formatCsv([a]).trimEnd().split('\n')[1]!.split(',')[4]), a.co2eKg);
  });

  it('Markdown has totals, a row per run, per-component method and coverage, problems and dated sources', () => {
    const md = formatMarkdown(input([a, b]));
    assert.match(md, /^# Energy and carbon footprint report/);
    assert.match(md, /2 runs \(1 completed, 1 incomplete\)/);
    assert.match(md, /\| IT energy \(measured\) \| [\d.]+ Wh \|/);
    assert.match(md, /\| 20260102T030000Z-a \| 2026-01-02 03:00:01 \| 2\.5 s \| completed \| 0 \|/);
    assert.match(md, /\| 20260102T040000Z-b \| .* \| incomplete \| — \|/);
    assert.match(md, /\| NVIDIA H100 80GB HBM3 \(GPU 0\) \| nvidia-smi \| nvidia-smi power\.draw\.average, 1000 ms \| 0\.21 Wh \| 300 W \| 300 W \| 3 \| 100% \| whole device \|/);
    assert.match(md, /## Folders not included[\s\S]*\/runs\/broken/);
    assert.match(md, /## Method and assumptions/);
    // Every row of the data sources names a year.
    const sources = md.slice(md.indexOf('## Data sources'));
    const rows = sources.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| value') && !line.startsWith('| ---'));
    assert.ok(rows.length >= 4, sources);
    for (const row of rows) assert.match(row, /\| (19|20)\d\d \|$/, row);
  });

  it('HTML is self-contained: inline style, no script, nothing remote, a chart of energy per run, text escaped', () => {
    const evil = record({ id: '20260102T050000Z-c', command: ['python', '<script>alert(1)</script>'] });
    const html = formatHtml(input([a, b, evil]));
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /\s(src|srcset)=/i);
    assert.doesNotMatch(html, /<link/i);
    assert.doesNotMatch(html, /url\(/i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /<svg role="img" aria-label="IT energy per run"[^>]*>(.*<rect class="bar"){3}/s);
    assert.match(html, /var\(--vscode-foreground/);
    const withNonce = formatHtml(input([a]), { nonce: 'abc123' });
    assert.match(withNonce, /style-src 'nonce-abc123'/);
    assert.match(withNonce, /<style nonce="abc123">/);
  });

  it('CSV has CodeCarbon emissions.csv columns in order and its units (s, kg, kWh, W)', () => {
    const csv = formatCsv([a, b]);
    const lines = csv.trimEnd().split('\n');
    assert.equal(lines[0], CODECARBON_COLUMNS.join(','));
    assert.equal(lines[0], 'timestamp,project_name,run_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,tracking_mode,on_cloud,pue');
    const rowA = Object.fromEntries(CODECARBON_COLUMNS.map((c, i) => [c, csvCells(lines[1]!)[i]]));
    assert.equal(rowA.timestamp, '2026-01-02T03:00:03');
    assert.equal(rowA.project_name, 'a');
    assert.equal(Number(rowA.duration), 2.5);
    assert.equal(Number(rowA.emissions), a.co2eKg);
    assert.equal(Number(rowA.gpu_energy), 750 / 3.6e6);
    assert.equal(Number(rowA.cpu_energy), 125 / 3.6e6);
    assert.equal(Number(rowA.gpu_power), 300);
    assert.equal(Number(rowA.energy_consumed), 875 / 3.6e6);
    assert.equal(rowA.country_iso_code, 'FR');
    assert.equal(rowA.on_cloud, 'N');
    assert.equal(rowA.gpu_model, '1 x NVIDIA H100 80GB HBM3');
    assert.equal(rowA.tracking_mode, 'machine');
    const rowB = Object.fromEntries(CODECARBON_COLUMNS.map((c, i) => [c, csvCells(lines[2]!)[i]]));
    assert.equal(rowB.project_name, 'b, "quoted"');
    assert.equal(rowB.cloud_provider, 'gcp');
    assert.equal(rowB.cloud_region, 'europe-west1');
    assert.equal(rowB.on_cloud, 'Y');
    assert.equal(rowB.country_iso_code, '');
  });

  it('model-card emits the Hugging Face co2_eq_emissions block in grams', () => {
    const card = parseYaml(formatModelCard([a, b], { trainingType: 'fine-tuning', version: '0.1.0' })) as { co2_eq_emissions: Record<string, unknown> };
    const block = card.co2_eq_emissions;
    const grams = (a.co2eKg + b.co2eKg) * 1000;
    assert.ok(Math.abs((block.emissions as number) - grams) <= grams * 1e-5, `${String(block.emissions)} g ≠ ${grams} g (6 significant figures)`);
    assert.equal(block.training_type, 'fine-tuning');
    assert.equal(block.hardware_used, '1 x NVIDIA H100 80GB HBM3');
    assert.match(block.geographical_location as string, /France/);
    assert.match(block.source as string, /^green-ai run \(energy by nvidia-smi, rapl; CO2e = energy × PUE × location-based grid intensity from Our World in Data.*, 2023; Google Cloud region carbon data.*, 2024\)$/);
    const without = parseYaml(formatModelCard([a], { version: '0.1.0' })) as { co2_eq_emissions: Record<string, unknown> };
    assert.equal(without.co2_eq_emissions.training_type, undefined);
  });
});
