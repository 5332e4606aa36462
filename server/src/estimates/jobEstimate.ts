/**
 * The estimate of a batch job as the scheduler will account it: every GPU it allocates (per node × nodes, the
 * `--gres` type when the GPU table knows it, else greenAI.hardware.gpu) held for its `--time` limit, through the
 * carbon model at in-use power. The time limit bounds the run from above, so the lens reads `this job: ≤ …`.
 * Without `--time` the estimate names what is missing instead of guessing a duration.
 */
import type { Range } from 'vscode-languageserver-types';
import { applyOverrides, estimateRun, loadTables, resolveGpu, type RunInput } from '../../../shared/src/carbon/index';
import type { GpuAllocation } from '../configs/slurm';
import type { ScriptEstimate } from './estimate';
import { locationInput, type EstimateSettings } from './runInput';

export function estimateJob(allocation: GpuAllocation, entry: Range, settings: EstimateSettings): ScriptEstimate {
  const hours = allocation.hours;
  if (hours === undefined) {
    return { status: 'missing', entry, missing: [{ input: "the job's wall time", how: 'add #SBATCH --time=HH:MM:SS (the estimate uses it as an upper bound)' }], assumptions: [] };
  }
  const shipped = loadTables();
  const tables = shipped.ok ? applyOverrides(shipped.value, settings['carbon.overrides']) : shipped;
  if (!tables.ok) return { status: 'error', entry, problems: tables.problems.map((p) => p.message) };
  const gpus = allocation.perNode * allocation.nodes;
  const gpu = allocation.type && resolveGpu(allocation.type, tables.value).ok ? allocation.type : settings['hardware.gpu'];
  const location = locationInput(settings.location, tables.value);
  const input: RunInput = { hardware: { gpu, count: gpus }, duration: { wallHours: hours }, ...(location ? { location } : {}) };
  const result = estimateRun(input, { tables: tables.value });
  if (!result.ok) return { status: 'error', entry, problems: result.problems.map((p) => p.message) };
  return { status: 'estimate', entry, estimate: result.value, input, tables: tables.value, slowdowns: [], job: { gpus, hours } };
}
