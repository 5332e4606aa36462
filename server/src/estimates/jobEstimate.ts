/**
 * The estimate of a batch job as the scheduler will account it: every GPU it allocates (per node × nodes, the
 * `--gres` type when the GPU table knows it, else greenAI.hardware.gpu) held for its `--time` limit, through the
 * carbon model at in-use power. The time limit bounds the run from above, so the lens reads `this job: ≤ …`.
 * Without `--time` the estimate names what is missing instead of guessing a duration.
 * `jobRunFacts` gives the entry script's estimate what the job that runs it says (GPUs, their type, the time limit),
 * each labelled with the batch script line it comes from rather than as a greenAI.hardware.* setting.
 */
import type { Range } from 'vscode-languageserver-types';
import { applyOverrides, estimateRun, loadTables, resolveGpu, type RunInput } from '../../../shared/src/carbon/index';
import path from 'node:path';
import type { GpuAllocation } from '../configs/slurm';
import { worldSize, type JobView } from '../jobs/graph';
import type { ScriptEstimate } from './estimate';
import { locationInput, type EstimateSettings, type JobRunFacts } from './runInput';

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

/**
 * What the batch job that launches `scriptPath` says about its run: the GPUs its processes drive (the launch's world
 * size, capped at the GPUs allocated; every allocated GPU for a one-process launch of a script that spreads over them
 * itself), the requested GPU type and the --time limit. Undefined when no job runs the script, when it is matched by
 * file name only (a cluster path), or when several jobs run it with different GPUs (which one the lens shows is unknown).
 */
export function jobRunFacts(view: JobView, scriptPath: string): JobRunFacts | undefined {
  const candidates: JobRunFacts[] = [];
  for (const use of view.uses) {
    const { job, launch } = use;
    if (use.config || launch.entry?.path !== scriptPath || launch.entry.byName) continue;
    const allocation = job.allocation;
    const name = path.basename(job.path);
    let devices: JobRunFacts['devices'];
    if (allocation && allocation.perNode > 0) {
      const allocated = allocation.perNode * allocation.nodes;
      const gpus = `${allocation.type ? `${allocation.type.toUpperCase()} ` : ''}GPU${allocated === 1 ? '' : 's'}`;
      const request = `${name} --${allocation.directive.name}${allocation.directive.value !== undefined ? `=${allocation.directive.value}` : ''}`;
      const inProcess = launch.launch.launcher === 'python' && launch.launch.defaulted && !launch.processSource && launch.entry.facts.multiGpuInProcess;
      const size = inProcess ? undefined : worldSize(job, launch);
      if (size === undefined || size >= allocated) devices = { count: allocated, from: `${allocated} ${gpus} from ${request}` };
      else devices = { count: size, from: `${size} of the ${allocated} ${gpus} from ${request} (${size} process${size === 1 ? '' : 'es'} started by the launch line)` };
    }
    const gpu = allocation?.type ? { type: allocation.type, from: `${name} --${allocation.directive.name}=${allocation.directive.value ?? ''}` } : undefined;
    const wallHours = allocation?.hours !== undefined && allocation.timeDirective ? { hours: allocation.hours, from: `${name} --time=${allocation.timeDirective.value ?? ''}` } : undefined;
    candidates.push({ devices, gpu, wallHours });
  }
  if (candidates.length === 0) return undefined;
  const first = candidates[0]!;
  const same = candidates.every((c) => c.devices?.count === first.devices?.count && c.gpu?.type === first.gpu?.type && c.wallHours?.hours === first.wallHours?.hours);
  return same ? first : undefined;
}

/** The settings for an entry script's analysis with the facts of the job that runs it (unchanged when none does). */
export function withJobFacts<S extends EstimateSettings>(settings: S, view: JobView, scriptPath: string): S {
  const job = jobRunFacts(view, scriptPath);
  return job ? { ...settings, job } : settings;
}
