/**
 * Turns a run folder's header and samples into a RunRecord: per-component energy (counter differences, the job's
 * GPU share applied per interval), coverage, idle baseline, and the carbon figures from the same tables as the
 * estimator. Used by the recorder at the end of a run and by `green-ai report` for runs whose recorder never
 * finished (status "incomplete"): both go through computeRunRecord, so a finalised run reads the same either way.
 */
import { readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { estimateRun, loadTables, resolveGpu, resolveLocation, shortName, type Tables } from '../carbon';
import { defaultRow } from '../carbon/tables';
// Gaps between samples longer than GAP_PERIODS periods do not count as covered: the sampler's own rule.
import { GAP_PERIODS } from '../power/integrate';
import type { DefaultKey, SourcedValue } from '../carbon/schemas';
import {
  RUN_FILES,
  RUN_SCHEMA_VERSION,
  RunHeaderSchema,
  RunRecordSchema,
  SampleLineSchema,
  describeZodError,
  type ComponentSummary,
  type RunHeader,
  type RunRecord,
  type RunSource,
  type RunStatus,
  type SampleLine,
} from './schema';

/** How the job ended, as the recorder saw it; absent when it did not see the end (status "incomplete"). */
export interface RunEnd {
  endedAt: string;
  exitCode: number | null;
  signal?: string;
  status: Exclude<RunStatus, 'incomplete'>;
  /** What went wrong around the job (it could not be started, a sample source failed), for the record's warnings. */
  warnings?: string[];
}

export type ReadRunResult =
  | { ok: true; record: RunRecord; finalized: boolean; running: boolean; warnings: string[] }
  | { ok: false; problem: string };

export type ComputeResult = { ok: true; record: RunRecord } | { ok: false; problem: string };

const J_PER_KWH = 3_600_000;


/**
 * The whole computation, pure apart from the optional table load. `samples` in file order; `end` undefined →
 * incomplete, ended at the last sample.
 */
export function computeRunRecord(
  header: RunHeader,
  samples: readonly SampleLine[],
  end: RunEnd | undefined,
  options: { tables?: Tables; finalizedBy?: RunRecord['finalizedBy']; now?: Date; warnings?: string[] } = {},
): ComputeResult {
  let tables = options.tables;
  if (!tables) {
    const loaded = loadTables();
    if (!loaded.ok) return { ok: false, problem: loaded.problems.map((p) => p.message).join('; ') };
    tables = loaded.value;
  }
  const warnings = [...(end?.warnings ?? []), ...(options.warnings ?? [])];
  const baselineSamples = samples.filter((s) => s.phase === 'baseline');
  const runSamples = samples.filter((s) => s.phase === 'run');
  const reference = baselineSamples.at(-1);

  const startedAt = header.launchedAt ?? (runSamples[0] ? new Date(runSamples[0].timestampMs).toISOString() : header.startedAt);
  const lastRun = runSamples.at(-1);
  const endedAt = end?.endedAt ?? (lastRun ? new Date(lastRun.timestampMs).toISOString() : startedAt);
  const durationS = Math.max(0, (Date.parse(endedAt) - Date.parse(startedAt)) / 1000);
  if (!end) warnings.push('the recorder did not see the job end (runner killed or machine stopped): figures cover the samples on disk up to the last one');
  if (runSamples.length === 0) warnings.push('no sample was taken while the job ran: its energy is unknown (0 shown)');

  // The run's window on the monotonic clock of the samples: from launch to the end the recorder saw (or the last sample).
  const clock = reference ?? runSamples[0];
  const offset = clock ? clock.monotonicMs - clock.timestampMs : 0;
  const windowStart = Date.parse(startedAt) + offset;
  const windowEnd = Date.parse(endedAt) + offset;

  // GPU attribution: a GPU is attributed to the job's process tree when another process used it during the run.
  const gpuForeign = new Set<string>();
  let shareProblem: string | undefined;
  for (const sample of runSamples) {
    if (sample.gpuShareProblem) shareProblem = sample.gpuShareProblem;
    for (const [uuid, share] of Object.entries(sample.gpuShares ?? {})) if (share.foreign) gpuForeign.add(uuid);
  }

  const componentIds = [...new Set(samples.flatMap((s) => s.components.map((c) => c.id)))];
  const components: ComponentSummary[] = [];
  const attributedWattsBySample = runSamples.map(() => 0);
  let hasWatts = false;
  for (const id of componentIds) {
    const first = samples.find((s) => s.components.some((c) => c.id === id))!.components.find((c) => c.id === id)!;
    const uuid = first.kind === 'gpu' && id.startsWith('gpu:') ? id.slice(4) : undefined;
    const attributed = uuid !== undefined && gpuForeign.has(uuid);
    // Shares come from a query that may lag the samples: a sample without one takes the last known share, and the
    // samples before the first answer take the first known one. A moment with no compute process on the device at
    // all (between processes, before CUDA starts) says nothing about the split, so it counts as unknown too.
    const known = runSamples.map((sample) => {
      const share = uuid !== undefined ? sample.gpuShares?.[uuid] : undefined;
      return share && share.allMiB > 0 ? share.jobMiB / share.allMiB : undefined;
    });
    const firstKnown = known.find((k) => k !== undefined) ?? 1;
    let carried = firstKnown;
    const shares = known.map((k) => (carried = k ?? carried));
    const shareAt = (index: number): number => (attributed ? shares[index]! : 1);
    let previous = reference?.components.find((c) => c.id === id) ? { sample: reference, reading: reference.components.find((c) => c.id === id)! } : undefined;
    let energyJ = 0;
    let deviceEnergyJ = 0;
    let coveredMs = 0;
    let peakW: number | null = null;
    let count = 0;
    const componentWarnings = new Set<string>();
    runSamples.forEach((sample, index) => {
      const reading = sample.components.find((c) => c.id === id);
      if (!reading) return;
      count += 1;
      for (const w of reading.warnings ?? []) componentWarnings.add(w);
      const share = shareAt(index);
      if (reading.watts !== null) {
        hasWatts = true;
        const w = reading.watts * share;
        attributedWattsBySample[index]! += w;
        peakW = peakW === null ? w : Math.max(peakW, w);
      }
      if (previous) {
        // Only the part of the interval inside [launch, end] counts: the samples straddle both edges.
        const gap = sample.monotonicMs - previous.sample.monotonicMs;
        const overlap = Math.max(0, Math.min(sample.monotonicMs, windowEnd) - Math.max(previous.sample.monotonicMs, windowStart));
        const fraction = gap > 0 ? overlap / gap : 0;
        const delta = Math.max(0, reading.energyJ - previous.reading.energyJ) * fraction;
        deviceEnergyJ += delta;
        energyJ += delta * share;
        if (reading.watts !== null && gap <= GAP_PERIODS * header.intervalMs) coveredMs += overlap;
      }
      previous = { sample, reading };
    });
    const averageW = durationS > 0 ? energyJ / durationS : null;
    const idleW = header.baselineS > 0 ? idleWattsOf(id, baselineSamples) : null;
    const wholeMs = durationS * 1000;
    const coverage = wholeMs > 0 ? Math.min(1, coveredMs / wholeMs) : 0;
    const warningsOut = [...componentWarnings];
    if (uuid !== undefined && !attributed) {
      warningsOut.push(
        shareProblem
          ? `whole device: the job's share of this GPU could not be measured (${shareProblem})`
          : 'whole device: no process outside the job used this GPU during the run',
      );
    } else if (attributed) {
      warningsOut.push("shared GPU: energy attributed to the job's process tree by its share of used GPU memory at each sample");
    }
    components.push({
      id,
      kind: first.kind,
      name: first.name,
      method: first.method,
      source: first.source,
      energyJ,
      deviceEnergyJ,
      averageW,
      peakW,
      samples: count,
      coverage,
      attribution: attributed ? 'process-tree' : 'whole-device',
      idleW,
      warnings: warningsOut,
    });
  }

  const energyJ = sum(components.map((c) => c.energyJ));
  const energyKWh = energyJ / J_PER_KWH;
  const covered = components.length > 0 ? Math.min(...components.map((c) => c.coverage)) : 0;
  const energy = {
    energyJ,
    energyKWh,
    averageW: durationS > 0 ? energyJ / durationS : null,
    peakW: hasWatts ? Math.max(...attributedWattsBySample) : null,
    samples: runSamples.length,
    coverage: covered,
  };

  let baseline: RunRecord['baseline'] = null;
  if (header.baselineS > 0 && baselineSamples.length > 0) {
    let idleEnergyJ = 0;
    let aboveIdleEnergyJ = 0;
    let idleW = 0;
    for (const c of components) {
      if (c.idleW === null) continue;
      idleW += c.idleW;
      const ratio = c.deviceEnergyJ > 0 ? c.energyJ / c.deviceEnergyJ : 1;
      const idle = c.idleW * durationS * ratio;
      idleEnergyJ += idle;
      aboveIdleEnergyJ += Math.max(0, c.energyJ - idle);
    }
    const first = baselineSamples[0]!;
    const last = baselineSamples.at(-1)!;
    baseline = { durationS: (last.monotonicMs - first.monotonicMs) / 1000, samples: baselineSamples.length, idleW, idleEnergyJ, aboveIdleEnergyJ };
  } else if (header.baselineS > 0) {
    warnings.push('no idle baseline sample was taken: above-idle energy is unknown');
  }

  // Carbon: the same tables and the same precedence as the estimator (flag > cloud provider > device class default).
  const location = resolveLocation(header.location, tables);
  if (!location.ok) return { ok: false, problem: `location "${header.location}": ${location.problems.map((p) => p.message).join('; ')}` };
  const place = location.value;
  const datacenter = header.hardware.gpus.some((gpu) => {
    const resolved = resolveGpu(gpu.name, tables);
    return resolved.ok && resolved.value.gpu.class === 'datacenter';
  });
  const fromDefault = (key: DefaultKey): { value: number; source: RunSource } => {
    const row = defaultRow(tables!, key);
    return { value: row.value, source: sourceOf(row.source, row.year) };
  };
  const fromSourced = (value: SourcedValue): { value: number; source: RunSource } => ({ value: value.value, source: sourceOf(value.source, value.year) });
  const pue =
    header.pue !== undefined
      ? { value: header.pue, source: { title: 'given with --pue', year: null } }
      : place.provider
        ? fromSourced(place.provider.pue)
        : fromDefault(datacenter ? 'pueDatacenter' : 'pueNoDatacenter');
  const wue = place.provider?.wue ? fromSourced(place.provider.wue) : fromDefault(datacenter ? 'wueDefault' : 'wueNoDatacenter');
  const ewif = fromDefault('ewif');
  const facilityEnergyKWh = energyKWh * pue.value;
  const co2eKg = (facilityEnergyKWh * place.gCO2ePerKWh) / 1000;
  if (place.note) warnings.push(place.note);

  const record: RunRecord = {
    schemaVersion: RUN_SCHEMA_VERSION,
    id: header.id,
    command: header.command,
    cwd: header.cwd,
    startedAt,
    endedAt,
    durationS,
    exitCode: end?.exitCode ?? null,
    status: end?.status ?? 'incomplete',
    host: header.host,
    hardware: header.hardware,
    intervalMs: header.intervalMs,
    sources: header.sources,
    components,
    energy,
    baseline,
    location: { query: header.location, key: place.key, label: place.label, kind: place.kind },
    intensity: { gCO2ePerKWh: place.gCO2ePerKWh, source: sourceOf(place.row.source, place.row.year) },
    pue,
    facilityEnergyKWh,
    co2eKg,
    water: {
      liters: energyKWh * wue.value + facilityEnergyKWh * ewif.value,
      wueLPerKWh: wue.value,
      ewifLPerKWh: ewif.value,
      sources: [wue.source, ewif.source],
    },
    warnings,
    finalizedAt: (options.now ?? new Date()).toISOString(),
    finalizedBy: options.finalizedBy ?? 'finalize',
  };
  record.embodied = embodiedOf(header.hardware.gpus, durationS, tables);
  if (header.label !== undefined) record.label = header.label;
  if (header.gitCommit !== undefined) record.gitCommit = header.gitCommit;
  if (end?.signal !== undefined) record.signal = end.signal;
  if (header.estimateKWh !== undefined) {
    record.estimate = {
      energyKWh: header.estimateKWh,
      source: header.estimateSource ?? 'given with --estimate-kwh',
      differencePercent: header.estimateKWh > 0 ? ((facilityEnergyKWh - header.estimateKWh) / header.estimateKWh) * 100 : null,
    };
  }
  const checked = RunRecordSchema.safeParse(record);
  if (!checked.success) return { ok: false, problem: describeZodError(RUN_FILES.record, checked.error) };
  return { ok: true, record: checked.data };
}

/**
 * The accelerators' embodied carbon for the run's wall time, from the carbon model itself (an embodied-only run of each
 * GPU model: no CPU, no RAM, zero grid intensity) so that measured runs and estimates amortise hardware the same way.
 * Whole devices for the whole run, as a job holds its GPUs even when it shares them.
 */
function embodiedOf(gpus: RunHeader['hardware']['gpus'], durationS: number, tables: Tables): NonNullable<RunRecord['embodied']> {
  if (gpus.length === 0) return { co2eKg: null, reason: 'no accelerator: the tables give embodied carbon per accelerator (and its server share), not for a CPU-only machine' };
  const counts = new Map<string, { name: string; count: number }>();
  for (const gpu of gpus) {
    const resolved = resolveGpu(gpu.name, tables);
    if (!resolved.ok) return { co2eKg: null, reason: `${gpu.name} is not in the GPU table (shared/data/gpus.json); add it with greenAI.carbon.overrides to count its embodied carbon` };
    const entry = counts.get(resolved.value.gpu.id) ?? { name: shortName(resolved.value.gpu), count: 0 };
    entry.count++;
    counts.set(resolved.value.gpu.id, entry);
  }
  let co2eKg = 0;
  const warnings = new Set<string>();
  const sources = new Map<string, { what: string; source: RunSource }>();
  for (const [id, { count }] of counts) {
    const result = estimateRun(
      { hardware: { gpu: id, count, cpu: { sockets: 0 }, ramGB: 0 }, duration: { wallHours: durationS / 3600 }, location: { gCO2ePerKWh: 0 }, pue: 1, includeEmbodied: true },
      { tables },
    );
    if (!result.ok) return { co2eKg: null, reason: result.problems.map((p) => p.message).join('; ') };
    co2eKg += result.value.co2eKg.embodied.value;
    for (const warning of result.value.warnings) warnings.add(warning);
    for (const assumption of result.value.assumptions) {
      if (!/^(Embodied carbon|Accelerators per server|Hardware lifespan|Share of lifespan)/.test(assumption.name)) continue;
      const what = `${assumption.name} (${assumption.value}${assumption.unit ? ` ${assumption.unit}` : ''})`;
      sources.set(what, { what, source: sourceOf(assumption.source, assumption.year) });
    }
  }
  const devices = [...counts.values()].map(({ name, count }) => `${count}× ${name}`).join(' + ');
  return {
    co2eKg,
    basis: `${devices} for ${(durationS / 3600).toPrecision(3)} h: manufacturing footprint (device + server share) × device-hours / (lifespan × share of lifespan in use)`,
    warnings: [...warnings],
    sources: [...sources.values()],
  };
}

function sourceOf(source: { title: string; url?: string | undefined }, year: number | null): RunSource {
  return source.url !== undefined ? { title: source.title, url: source.url, year } : { title: source.title, year };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Idle power of one component: its energy over the baseline span, or the mean reading when the span is 0. */
function idleWattsOf(id: string, baseline: readonly SampleLine[]): number | null {
  const readings = baseline.flatMap((s) => s.components.filter((c) => c.id === id).map((c) => ({ s, c })));
  if (readings.length === 0) return null;
  const first = readings[0]!;
  const last = readings.at(-1)!;
  const spanS = (last.s.monotonicMs - first.s.monotonicMs) / 1000;
  if (spanS > 0) return Math.max(0, (last.c.energyJ - first.c.energyJ) / spanS);
  const watts = readings.map((r) => r.c.watts).filter((w): w is number => w !== null);
  return watts.length > 0 ? sum(watts) / watts.length : null;
}

// ---------------------------------------------------------------------------------------------
// Files

/** Writes JSON next to its final name and renames it into place, so readers never see half a file. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Parses samples.jsonl; a torn last line (the writer was killed mid-line) is dropped with a warning. */
export function parseSamples(text: string, file: string = RUN_FILES.samples): { samples: SampleLine[]; warnings: string[] } {
  const samples: SampleLine[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      const last = index === lines.length - 1 || lines.slice(index + 1).every((l) => l.trim() === '');
      warnings.push(last ? `${file}: line ${index + 1} is cut short (the writer stopped mid-line) and was skipped` : `${file}: line ${index + 1} is not JSON and was skipped`);
      return;
    }
    const parsed = SampleLineSchema.safeParse(json);
    if (parsed.success) samples.push(parsed.data);
    else warnings.push(`line ${index + 1}: ${describeZodError(file, parsed.error)} (skipped)`);
  });
  return { samples, warnings };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads and validates a run folder's header. */
export async function readHeader(dir: string): Promise<{ ok: true; header: RunHeader } | { ok: false; problem: string }> {
  const file = join(dir, RUN_FILES.partial);
  let text: string | undefined;
  try {
    text = await readText(file);
  } catch (error) {
    return { ok: false, problem: `${file}: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (text === undefined) return { ok: false, problem: `${dir} has neither ${RUN_FILES.record} nor ${RUN_FILES.partial}` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `${file}: not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const parsed = RunHeaderSchema.safeParse(json);
  return parsed.success ? { ok: true, header: parsed.data } : { ok: false, problem: describeZodError(file, parsed.error) };
}

/** Whether the runner that wrote the header may still be recording (same host, process alive). */
function runnerAlive(header: RunHeader): boolean {
  if (header.runnerPid === undefined || header.host.hostname !== hostname()) return false;
  try {
    process.kill(header.runnerPid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads run.json, or computes the record from header + samples without writing. Never throws. */
export async function loadRunDir(dir: string): Promise<ReadRunResult> {
  try {
    const recordFile = join(dir, RUN_FILES.record);
    const text = await readText(recordFile);
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        return { ok: false, problem: `${recordFile}: not JSON (${error instanceof Error ? error.message : String(error)})` };
      }
      const parsed = RunRecordSchema.safeParse(json);
      if (!parsed.success) return { ok: false, problem: describeZodError(recordFile, parsed.error) };
      return { ok: true, record: parsed.data, finalized: true, running: false, warnings: [] };
    }
    const header = await readHeader(dir);
    if (!header.ok) return header;
    const samplesText = (await readText(join(dir, RUN_FILES.samples))) ?? '';
    const { samples, warnings } = parseSamples(samplesText, join(dir, RUN_FILES.samples));
    const computed = computeRunRecord(header.header, samples, undefined, { warnings });
    if (!computed.ok) return { ok: false, problem: `${dir}: ${computed.problem}` };
    const running = runnerAlive(header.header);
    if (running) computed.record.warnings.unshift(`still being recorded (runner pid ${header.header.runnerPid} is alive): figures up to the last sample so far`);
    return { ok: true, record: computed.record, finalized: false, running, warnings };
  } catch (error) {
    return { ok: false, problem: `${dir}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Writes run.json for a run that has none (status "incomplete"); a run that already has one is returned as is.
 * Refuses while the runner that writes the folder is still alive on this host.
 */
export async function finalizeRunDir(dir: string): Promise<ReadRunResult> {
  const loaded = await loadRunDir(dir);
  if (!loaded.ok || loaded.finalized) return loaded;
  if (loaded.running) return { ok: false, problem: `${dir}: the run is still being recorded (runner pid alive); finalise it after it ends` };
  try {
    await writeJsonAtomic(join(dir, RUN_FILES.record), loaded.record);
  } catch (error) {
    return { ok: false, problem: `${join(dir, RUN_FILES.record)}: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { ...loaded, finalized: true };
}
