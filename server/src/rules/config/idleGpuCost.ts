/**
 * What GPUs that a job holds without using cost: GPU-hours for the job's `--time` limit, and the carbon model's energy
 * and CO2e for that many devices over that time (in-use power from the GPU table, the greenAI.location grid, embodied
 * carbon). Without a time limit the figures are per hour of the job.
 */
import { estimateRun, formatEnergy, formatMass, loadTables, resolveGpu } from '../../../../shared/src/carbon/index';
import { formatNumber } from '../../../../shared/src/carbon/format';
import type { Settings } from '../../../../shared/src/settings';
import type { GpuAllocation } from '../../configs/slurm';
import { locationInput } from '../../estimates/runInput';

/** `That is 48 GPU-hours held idle over the 24 h --time limit, ≈ 32 kWh · 16 kg CO2e of the job's footprint (2×A100 SXM4, world average, …)` */
/** `limitName`: what sets the job's wall-time limit (`--time` for SLURM, `activeDeadlineSeconds` for Kubernetes). */
export function idleGpuCost(idleGpus: number, allocation: Pick<GpuAllocation, 'type' | 'hours'>, settings: Settings, limitName = '--time'): string {
  const gpuName = allocation.type && resolveGpu(allocation.type).ok ? allocation.type : settings['hardware.gpu'];
  const hours = allocation.hours;
  const tables = loadTables();
  const location = tables.ok ? locationInput(settings.location, tables.value) : undefined;
  const result = estimateRun(
    { hardware: { gpu: gpuName, count: idleGpus }, duration: { wallHours: hours ?? 1 }, ...(location ? { location } : {}) },
    { overrides: settings['carbon.overrides'] },
  );
  const cost = result.ok
    ? `≈ ${formatEnergy(result.value.energyKWh.value)} · ${formatMass(result.value.co2eKg.total.value)} CO2e of the job's footprint (${result.value.label}, carbon model at in-use power)`
    : undefined;
  if (hours === undefined) {
    return `No ${limitName} limit is set; each hour of the job holds ${idleGpus} idle GPU${idleGpus === 1 ? '' : 's'}${cost ? ` (${cost} per hour)` : ''}.`;
  }
  const gpuHours = idleGpus * hours;
  return `That is ${formatNumber(gpuHours)} GPU-hours held idle over the ${formatHours(hours)} ${limitName} limit${cost ? `, ${cost}` : ''}.`;
}

export function formatHours(hours: number): string {
  return hours >= 1 ? `${formatNumber(hours)} h` : `${formatNumber(hours * 60)} min`;
}
