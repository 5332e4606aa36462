/**
 * The footprint report as Markdown: totals, one row per run, per-component detail with method and coverage,
 * assumptions and data sources with years — what a team attaches to an ESG or model-governance review.
 */
import type { RunRecord } from '../schema';
import { METHOD_NOTES, componentEnergyKWh, duration, embodiedText, energyBasis, estimateText, exitOf, gpuModelsOf, kWh, kg, liters, percent, sourcesOf, totalsOf, watts, type ReportInput } from './common';

/** Escapes text for a Markdown table cell or line. */
function md(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/([*_`<>[\]])/g, '\\$1').replace(/\r?\n/g, ' ');
}

/** A command as code, with backticks in it handled by a longer fence. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|')} ${fence}`;
}

export function commandLine(run: RunRecord): string {
  return run.command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function formatMarkdown(input: ReportInput): string {
  const { runs } = input;
  const totals = totalsOf(runs);
  const out: string[] = [];
  out.push('# Energy and carbon footprint report', '');
  out.push(
    `Generated ${input.generatedAt.toISOString()} by green-ai ${md(input.version)} from ${md(input.scope)}: ${runs.length} run${runs.length === 1 ? '' : 's'}` +
      (Object.keys(totals.byStatus).length > 0 ? ` (${Object.entries(totals.byStatus).map(([s, n]) => `${n} ${s}`).join(', ')})` : '') +
      '.',
    '',
  );
  out.push('## Totals', '', '| quantity | value |', '| --- | --- |');
  out.push(`| IT energy (${energyBasis(runs)}) | ${kWh(totals.energyKWh)} |`);
  out.push(`| Facility energy (IT × PUE) | ${kWh(totals.facilityEnergyKWh)} |`);
  out.push(`| CO2e (operational, location-based) | ${kg(totals.co2eKg)} |`);
  if (totals.embodiedRuns > 0) {
    out.push(`| CO2e (embodied: hardware manufacturing, amortised${totals.embodiedRuns < runs.length ? `; ${totals.embodiedRuns} of ${runs.length} runs` : ''}) | ${kg(totals.embodiedKg)} |`);
  }
  out.push(`| Water (on-site + off-site) | ${liters(totals.waterL)} |`);
  out.push(`| Run time | ${duration(totals.durationS)} |`, '');

  if (runs.length > 0) {
    out.push('## Runs', '');
    out.push('| run | started (UTC) | duration | status | exit | IT energy | CO2e | location | coverage | estimate |');
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const run of runs) {
      out.push(
        `| ${md(run.id)} | ${run.startedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} | ${duration(run.durationS)} | ${run.status} | ${md(exitOf(run))} | ${kWh(run.energy.energyKWh)} | ${kg(run.co2eKg)} | ${md(run.location.label)} | ${percent(run.energy.coverage)} | ${estimateText(run)} |`,
      );
    }
    out.push('');
  }

  for (const run of runs) {
    out.push(`## Run ${md(run.id)}`, '');
    out.push(`- Command: ${code(commandLine(run))}`);
    out.push(`- Working directory: ${code(run.cwd)}${run.gitCommit ? ` at git commit ${code(run.gitCommit)}` : ''}`);
    out.push(`- Started ${run.startedAt}, ended ${run.endedAt} (${duration(run.durationS)}); status ${run.status}, exit ${md(exitOf(run))}`);
    out.push(`- Host ${md(run.host.hostname)} (${md(run.host.platform)} ${md(run.host.osRelease)}, ${md(run.host.arch)}); green-ai ${md(run.host.greenAiVersion)}`);
    out.push(`- Hardware: ${run.hardware.gpus.length > 0 ? `${md(gpuModelsOf(run))}; ` : 'no GPU; '}${md(run.hardware.cpuModel)} (${run.hardware.cpuCount} logical CPUs); ${run.hardware.ramTotalGB.toFixed(1)} GB RAM`);
    out.push(`- Sampling every ${run.intervalMs} ms, ${run.energy.samples} samples, coverage ${percent(run.energy.coverage)}`);
    if (run.baseline) {
      out.push(`- Idle baseline: ${watts(run.baseline.idleW)} over ${duration(run.baseline.durationS)}; energy above idle ${kWh(run.baseline.aboveIdleEnergyJ / 3_600_000)} of ${kWh(run.energy.energyKWh)}`);
    }
    out.push(`- CO2e ${kg(run.co2eKg)} = ${kWh(run.energy.energyKWh)} × PUE ${run.pue.value} × ${run.intensity.gCO2ePerKWh} gCO2e/kWh (${md(run.location.label)}); water ${liters(run.water.liters)}`);
    out.push(`- Embodied CO2e (not in the figure above): ${md(embodiedText(run))}`);
    if (run.estimate) out.push(`- Pre-run estimate: ${estimateText(run)} from ${md(run.estimate.source)}`);
    out.push('');
    if (run.components.length > 0) {
      out.push('| component | method | source | energy | average | peak | samples | coverage | attribution |');
      out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
      for (const c of run.components) {
        out.push(
          `| ${md(c.name)} | ${c.method} | ${md(c.source)} | ${kWh(componentEnergyKWh(c))} | ${watts(c.averageW)} | ${watts(c.peakW)} | ${c.samples} | ${percent(c.coverage)} | ${c.attribution === 'process-tree' ? "job's share" : 'whole device'} |`,
        );
      }
      out.push('');
    }
    const warnings = [...run.warnings, ...run.components.flatMap((c) => c.warnings.map((w) => `${c.name}: ${w}`))];
    if (warnings.length > 0) {
      out.push('Warnings:', '');
      for (const warning of warnings) out.push(`- ${md(warning)}`);
      out.push('');
    }
  }

  if (input.problems.length > 0) {
    out.push('## Folders not included', '');
    for (const { dir, problem } of input.problems) out.push(`- ${code(dir)}: ${md(problem)}`);
    out.push('');
  }

  out.push('## Method and assumptions', '');
  for (const note of METHOD_NOTES) out.push(`- ${note}`);
  out.push('');
  const sources = sourcesOf(runs);
  if (sources.length > 0) {
    out.push('## Data sources', '', '| value | source | year |', '| --- | --- | --- |');
    for (const { what, source } of sources) {
      const title = source.url ? `[${md(source.title)}](${source.url.replace(/\)/g, '%29').replace(/ /g, '%20')})` : md(source.title);
      out.push(`| ${md(what)} | ${title} | ${source.year ?? '—'} |`);
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
