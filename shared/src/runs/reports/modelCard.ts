/**
 * The Hugging Face model card `co2_eq_emissions` metadata block for the runs reported on (their sum): emissions in
 * grams, source, training_type, geographical_location, hardware_used. training_type is only written when given,
 * since nothing in a run says whether it was pre-training or fine-tuning.
 */
import type { RunRecord } from '../schema';
import { gpuModelsOf, sum } from './common';

/** A YAML double-quoted scalar (JSON strings are valid YAML double-quoted scalars). */
function yamlString(text: string): string {
  return JSON.stringify(text);
}

export function formatModelCard(runs: readonly RunRecord[], options: { trainingType?: string; version: string }): string {
  const grams = sum(runs.map((r) => r.co2eKg)) * 1000;
  const locations = [...new Set(runs.map((r) => r.location.label))];
  const hardware = [...new Set(runs.map((r) => (r.hardware.gpus.length > 0 ? gpuModelsOf(r) : r.hardware.cpuModel)))];
  const energyKWh = sum(runs.map((r) => r.energy.energyKWh));
  const statuses = [...new Set(runs.map((r) => r.status))];
  const methods = [...new Set(runs.flatMap((r) => r.components.map((c) => c.method)))];
  const intensitySources = [...new Set(runs.map((r) => `${r.intensity.source.title}${r.intensity.source.year !== null ? `, ${r.intensity.source.year}` : ''}`))];
  const lines = [
    `# ${runs.length} run${runs.length === 1 ? '' : 's'} recorded with green-ai ${options.version} (${statuses.join(', ')}); IT energy ${Number(energyKWh.toPrecision(4))} kWh.`,
    'co2_eq_emissions:',
    `  emissions: ${Number(grams.toPrecision(6))}`,
    `  source: ${yamlString(`green-ai run (energy by ${methods.join(', ') || 'no component'}; CO2e = energy × PUE × location-based grid intensity from ${intensitySources.join('; ')})`)}`,
  ];
  if (options.trainingType) lines.push(`  training_type: ${yamlString(options.trainingType)}`);
  else lines.push('  # training_type: "pre-training" or "fine-tuning" (give --training-type)');
  lines.push(`  geographical_location: ${yamlString(locations.join('; '))}`);
  lines.push(`  hardware_used: ${yamlString(hardware.join('; '))}`);
  return `${lines.join('\n')}\n`;
}
