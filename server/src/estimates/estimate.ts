/**
 * The estimate of the run a script describes, and the saving of each finding's fix: the carbon model
 * re-run on the extracted run with the fix applied (a precision change, or a removed share of device time
 * from a cited savings-factors.json row), compared with compareRuns. Nothing here is a constant per rule.
 */
import type { Range } from 'vscode-languageserver-types';
import {
  applyOverrides,
  compareRuns,
  estimateRun,
  formatEnergy,
  formatMass,
  loadTables,
  mfuRow,
  throughputBasis,
  resolveGpu,
  shortName,
  type Assumption,
  type Estimate,
  type Precision,
  type RunInput,
  type Savings,
  type SavingsFactorRow,
  type Tables,
} from '../../../shared/src/carbon/index';
import type { RunFacts } from './extract';
import { runFromFacts, type EstimateSettings, type MissingInput } from './runInput';

/** What a finding's fix changes in the run. */
export type CostEffect =
  /** The fix runs the training at another precision (GA101). */
  | { kind: 'precision'; to: Precision; label: string }
  /** The fix removes a share of device time given by a savings-factors.json row (GA201, GA202, GA301). */
  | { kind: 'slowdown'; factor: string; label: string };

export type ScriptEstimate =
  | {
      status: 'estimate';
      entry: Range;
      estimate: Estimate;
      input: RunInput;
      tables: Tables;
      slowdowns: SavingsFactorRow[];
      /** A batch job's allocation over its time limit (jobEstimate.ts): an upper bound, titled `this job: ≤ …`. */
      job?: { gpus: number; hours: number };
    }
  | { status: 'missing'; entry: Range; missing: MissingInput[]; assumptions: Assumption[] }
  | { status: 'error'; entry: Range; problems: string[] };

export interface FindingSaving {
  /** `bf16 autocast: ≈ −58% energy on this run (−24 kWh, −9 kg CO2e)` */
  text: string;
  savings: Savings;
}

/**
 * The estimate of the script's run as written: the extracted run, with the device time that the
 * slowdowns found in the script (GA201, GA202, GA301 findings) add. Null when the script does not train.
 */
export function estimateScript(facts: RunFacts, entry: Range | null, settings: EstimateSettings, effects: readonly CostEffect[]): ScriptEstimate | null {
  if (!entry) return null;
  const patched = tablesWith(settings['carbon.overrides']);
  if (!patched.ok) return { status: 'error', entry, problems: patched.problems };
  const tables = patched.tables;
  const run = runFromFacts(facts, settings, tables);
  if (!run.ok) return { status: 'missing', entry, missing: run.missing, assumptions: run.assumptions };
  const slowdowns = uniqueFactors(effects, tables);
  const result = estimateWith(run.input, tables, slowdowns, run.assumptions);
  if (!result.ok) return { status: 'error', entry, problems: result.problems };
  return { status: 'estimate', entry, estimate: result.estimate, input: run.input, tables, slowdowns, ...(run.bound ? { job: run.bound } : {}) };
}

/** The saving of one finding's fix on the script's run; null when there is no estimate or nothing to change. */
const savingsCache = new WeakMap<ScriptEstimate, Map<string, FindingSaving | null>>();

export function savingOf(script: ScriptEstimate | null, effect: CostEffect | undefined): FindingSaving | null {
  if (!script || script.status !== 'estimate' || !effect) return null;
  let cache = savingsCache.get(script);
  if (!cache) savingsCache.set(script, (cache = new Map()));
  const key = JSON.stringify(effect);
  if (!cache.has(key)) cache.set(key, computeSaving(script, effect));
  return cache.get(key) ?? null;
}

function computeSaving(script: Extract<ScriptEstimate, { status: 'estimate' }>, effect: CostEffect): FindingSaving | null {
  let after: ReturnType<typeof estimateWith>;
  let label = effect.label;
  if (effect.kind === 'precision') {
    const target = nativeTarget(script.input, script.tables, effect.to);
    if (script.input.precision === target.precision) return null;
    if (target.note) label = `${label} ${target.note}`;
    after = estimateWith({ ...script.input, precision: target.precision }, script.tables, script.slowdowns, []);
  } else {
    if (!script.slowdowns.some((row) => row.id === effect.factor)) return null;
    after = estimateWith(script.input, script.tables, script.slowdowns.filter((row) => row.id !== effect.factor), []);
  }
  if (!after.ok) return null;
  const savings = compareRuns(script.estimate, after.estimate);
  return { text: `${label}: ${formatSaving(savings)}`, savings };
}

/**
 * The precision a fix to `to` really runs at on the run's hardware: bf16 autocast on a GPU without bf16 tensor cores
 * (V100, T4) is what people switch to fp16 autocast for, so the saving is that of fp16.
 */
function nativeTarget(input: RunInput, tables: Tables, to: Precision): { precision: Precision; note?: string } {
  const gpu = resolveGpu(input.hardware.gpu, tables);
  if (!gpu.ok || to !== 'bf16' || gpu.value.gpu.peakTflops.bf16 !== undefined || gpu.value.gpu.peakTflops.fp16 === undefined) return { precision: to };
  return { precision: 'fp16', note: `(as fp16 with a GradScaler: ${shortName(gpu.value.gpu)} has no bf16 tensor cores)` };
}

/** `≈ −58% energy on this run (−24 kWh, −9 kg CO2e)`; `+` where the change costs more. */
export function formatSaving(savings: Savings): string {
  const sign = (value: number) => (value >= 0 ? '−' : '+');
  const percent = Math.round(Math.abs(savings.fraction.energy) * 100);
  return `≈ ${sign(savings.energyKWh.value)}${percent}% energy on this run (${sign(savings.energyKWh.value)}${formatEnergy(Math.abs(savings.energyKWh.value))}, ${sign(savings.co2eKg.value)}${formatMass(Math.abs(savings.co2eKg.value))} CO2e)`;
}

function uniqueFactors(effects: readonly CostEffect[], tables: Tables): SavingsFactorRow[] {
  const ids = new Set(effects.flatMap((effect) => (effect.kind === 'slowdown' ? [effect.factor] : [])));
  return tables.savingsFactors.rows.filter((row) => ids.has(row.id));
}

type Estimated = { ok: true; estimate: Estimate } | { ok: false; problems: string[] };

/*
 * The model is pure, and while someone types the run rarely changes: the tables (after the user's overrides)
 * and the model's results are cached by their inputs, so an edit costs an extraction, not a model run.
 */
let tablesCache: { key: string; result: { ok: true; tables: Tables } | { ok: false; problems: string[] } } | undefined;

function tablesWith(overrides: unknown): { ok: true; tables: Tables } | { ok: false; problems: string[] } {
  const key = JSON.stringify(overrides ?? null);
  if (tablesCache?.key === key) return tablesCache.result;
  const shipped = loadTables();
  const patched = shipped.ok ? applyOverrides(shipped.value, overrides) : shipped;
  const result = patched.ok ? ({ ok: true, tables: patched.value } as const) : ({ ok: false, problems: patched.problems.map((p) => p.message) } as const);
  tablesCache = { key, result };
  return result;
}

const MODEL_CACHE_LIMIT = 256;
const modelCache = new WeakMap<Tables, Map<string, Estimated>>();

function estimateWith(input: RunInput, tables: Tables, slowdowns: readonly SavingsFactorRow[], extra: readonly Assumption[]): Estimated {
  let cache = modelCache.get(tables);
  if (!cache) modelCache.set(tables, (cache = new Map()));
  const key = JSON.stringify([input, slowdowns.map((row) => row.id)]);
  let result = cache.get(key);
  if (!result) {
    if (cache.size >= MODEL_CACHE_LIMIT) cache.clear();
    result = runModel(input, tables, slowdowns);
    cache.set(key, result);
  }
  if (!result.ok || extra.length === 0) return result;
  return { ok: true, estimate: { ...result.estimate, assumptions: [...extra, ...result.estimate.assumptions] } };
}

/**
 * Runs the model with the slowdowns applied: a compute-sized run reaches a lower effective MFU
 * (× (1 − combined share), bound by bound), a duration-sized run is as long as given (it already
 * includes them) — so removing one shortens it by that share.
 */
function runModel(input: RunInput, tables: Tables, slowdowns: readonly SavingsFactorRow[]): Estimated {
  const share = (pick: (row: SavingsFactorRow) => number) => 1 - slowdowns.reduce((kept, row) => kept * (1 - pick(row)), 1);
  const combined = { value: share((r) => r.value), low: share((r) => r.low), high: share((r) => r.high) };
  let run: RunInput = input;
  let overrides: unknown;
  let mfuNote: { name: string; source: Assumption['source']; year: number | null } | null = null;
  if (slowdowns.length > 0 && input.compute && !input.duration) {
    if (input.mfu !== undefined) {
      run = { ...input, mfu: input.mfu * (1 - combined.value) };
    } else {
      const mfu = mfuRowFor(input, tables);
      if (mfu) {
        overrides = {
          mfu: {
            [mfu.precision]: { value: mfu.row.value * (1 - combined.value), low: mfu.row.low * (1 - combined.high), high: mfu.row.high * (1 - combined.low) },
          },
        };
        mfuNote = {
          name: `MFU (${mfu.precision}, ${mfu.row.generation === '*' ? 'any hardware' : mfu.row.generation}) × (1 − share of device time lost to the slowdowns below)`,
          source: { title: mfu.row.source.title, ...(mfu.row.source.url ? { url: mfu.row.source.url } : {}) },
          year: mfu.row.year,
        };
      }
    }
  }
  const patched = overrides === undefined ? { ok: true as const, value: tables } : slowedTables(tables, overrides);
  if (!patched.ok) return { ok: false, problems: patched.problems.map((p) => p.message) };
  const result = estimateRun(run, { tables: patched.value });
  if (!result.ok) return { ok: false, problems: result.problems.map((p) => p.message) };
  const estimate = result.value;
  if (mfuNote) {
    const entry = estimate.assumptions.find((a) => a.name.startsWith('MFU') && a.source.title.startsWith('User override (overrides.mfu'));
    if (entry) Object.assign(entry, mfuNote);
  }
  const factorAssumptions: Assumption[] = slowdowns.map((row) => ({
    name: `Slowdown (${row.rule}): ${row.description}`,
    value: row.value,
    unit: row.unit,
    low: row.low,
    high: row.high,
    source: { title: row.source.title, url: row.source.url },
    year: row.year,
    ...(row.note ? { note: row.note } : {}),
  }));
  estimate.assumptions = [...estimate.assumptions, ...factorAssumptions];
  return { ok: true, estimate };
}

/*
 * Patching the tables clones and re-validates all of them; the slowed MFU rows take few distinct values (one per
 * precision and combination of slowdowns), so a whole tree analysed by the CLI reuses a handful of patched tables.
 */
const SLOWED_TABLES_LIMIT = 64;
const slowedTablesCache = new WeakMap<Tables, Map<string, ReturnType<typeof applyOverrides>>>();

function slowedTables(tables: Tables, overrides: unknown): ReturnType<typeof applyOverrides> {
  let cache = slowedTablesCache.get(tables);
  if (!cache) slowedTablesCache.set(tables, (cache = new Map()));
  const key = JSON.stringify(overrides);
  let patched = cache.get(key);
  if (!patched) {
    if (cache.size >= SLOWED_TABLES_LIMIT) cache.clear();
    patched = applyOverrides(tables, overrides);
    cache.set(key, patched);
  }
  return patched;
}

/** The MFU table row the model will use for this run (same lookup as the model: precision after fallback, then generation). */
function mfuRowFor(input: RunInput, tables: Tables): { precision: Precision; row: Tables['mfu']['rows'][number] } | null {
  const gpu = resolveGpu(input.hardware.gpu, tables);
  if (!gpu.ok) return null;
  const peak = throughputBasis(gpu.value.gpu, input.precision ?? 'fp32', input.mfu)?.peak;
  if (!peak) return null;
  const row = mfuRow(tables, peak.precision, gpu.value.gpu);
  return row ? { precision: peak.precision, row } : null;
}
