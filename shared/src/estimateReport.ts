/**
 * The estimate detail view as Markdown (what a code lens click opens): the figures with their ranges, the
 * formula, every input with where it came from, and the settings that change each. Pure, so tests read it.
 */
import { formatEnergy, formatEstimate, formatMass, formatVolume } from './carbon/format';
import type { Assumption, Range } from './carbon/schemas';
import type { ShowEstimatePayload } from './protocol';

const SETTINGS_HELP = [
  ['GPU model', 'greenAI.hardware.gpu', 'e.g. "H100-SXM" or the name nvidia-smi prints'],
  ['GPU count', 'greenAI.hardware.count', 'devices the run uses'],
  ['Location', 'greenAI.location', 'a country code such as "DE" or a cloud region such as "aws:us-east-1"'],
  ['Any table value', 'greenAI.carbon.overrides', 'TDP, FLOP/s, grid intensity, PUE, water factors…'],
] as const;

function range(r: Range, format: (n: number) => string): string {
  return `${format(r.value)} (${format(r.low)} – ${format(r.high)})`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function assumptionRow(a: Assumption): string {
  const value = `${typeof a.value === 'number' ? String(a.value) : a.value}${a.unit ? ` ${a.unit}` : ''}`;
  const spread = a.low !== undefined && a.high !== undefined ? ` (${a.low} – ${a.high})` : '';
  const source = a.source.url ? `[${cell(a.source.title)}](${a.source.url})` : cell(a.source.title);
  return `| ${cell(a.name)} | ${cell(value + spread)} | ${source} | ${a.year ?? '—'} | ${cell(a.note ?? '')} |`;
}

export function renderEstimateMarkdown(payload: ShowEstimatePayload, fileName: string): string {
  const lines = [`# Green AI estimate — ${fileName}`, ''];
  if (payload.status === 'error') {
    lines.push('The carbon model could not estimate this run:', '', ...payload.problems.map((p) => `- ${p}`));
    return lines.join('\n') + '\n';
  }
  if (payload.status === 'missing') {
    lines.push('The run size cannot be read from the script, so there is no estimate yet. Missing:', '');
    lines.push(...payload.missing.map((m) => `- **${m.input}** — ${m.how}`), '');
    if (payload.assumptions.length > 0) {
      lines.push('## What was read so far', '', '| input | value | source | year | note |', '|---|---|---|---|---|', ...payload.assumptions.map(assumptionRow));
    }
    return lines.join('\n') + '\n';
  }
  const e = payload.estimate;
  lines.push(
    `**${formatEstimate(e)}**`,
    '',
    '| quantity | value (low – high) |',
    '|---|---|',
    `| Energy (facility) | ${range(e.energyKWh, formatEnergy)} |`,
    `| — GPU / CPU / RAM (IT) | ${formatEnergy(e.energyBreakdownKWh.gpu.value)} / ${formatEnergy(e.energyBreakdownKWh.cpu.value)} / ${formatEnergy(e.energyBreakdownKWh.ram.value)} |`,
    `| CO2e operational | ${range(e.co2eKg.operational, formatMass)} |`,
    `| CO2e embodied | ${range(e.co2eKg.embodied, formatMass)} |`,
    `| CO2e total | ${range(e.co2eKg.total, formatMass)} |`,
    `| Water (on-site + off-site) | ${range(e.waterL.total, formatVolume)} |`,
    `| Wall-clock time | ${e.hours.wall.value.toFixed(2)} h (${e.hours.wall.low.toFixed(2)} – ${e.hours.wall.high.toFixed(2)} h) on ${e.hardware.count}× ${e.hardware.gpuName}, ${e.hardware.precision} |`,
    '',
    '## How it is computed',
    '',
    '- Time: given hours, or training FLOPs ÷ (devices × peak FLOP/s at the precision × MFU).',
    '- Energy: Σ over GPU, CPU and RAM of power × utilisation × time, × the data centre PUE.',
    '- CO2e: energy × grid intensity (location-based) + embodied (device manufacturing × time ÷ lifespan).',
    '- Water: IT energy × on-site WUE + energy × off-site water intensity of electricity.',
    '- Ranges follow from the ranges of the uncertain inputs (MFU, utilisation, grid intensity).',
    '',
    '## Inputs and where they came from',
    '',
    '| input | value | source | year | note |',
    '|---|---|---|---|---|',
    ...e.assumptions.map(assumptionRow),
    '',
  );
  if (e.warnings.length > 0) lines.push('## Warnings', '', ...e.warnings.map((w) => `- ${w}`), '');
  lines.push('## Change the inputs', '', '| what | setting | |', '|---|---|---|', ...SETTINGS_HELP.map(([what, key, hint]) => `| ${what} | \`${key}\` | ${hint} |`), '');
  lines.push('In a script, `# green-ai: parameters=<count>`, `flops=<FLOPs>` or `hours=<hours>` states the run size directly.');
  return lines.join('\n') + '\n';
}
