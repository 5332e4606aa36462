/**
 * The data tables: imported as JSON (so the bundles embed them), validated with zod, checked across
 * rows (unique aliases, complete defaults), and patched with the user's overrides. Synchronous and pure.
 */
import type { z } from 'zod';
import cloudRegionsJson from '../../data/cloud-regions.json';
import countriesJson from '../../data/grid-countries.json';
import cpusJson from '../../data/cpus.json';
import defaultsJson from '../../data/model-defaults.json';
import equivalentsJson from '../../data/equivalents.json';
import gpusJson from '../../data/gpus.json';
import mfuJson from '../../data/mfu.json';
import providersJson from '../../data/providers.json';
import visionModelsJson from '../../data/vision-models.json';
import languageModelsJson from '../../data/language-models.json';
import datasetsJson from '../../data/datasets.json';
import trainingDefaultsJson from '../../data/training-defaults.json';
import savingsFactorsJson from '../../data/savings-factors.json';
import memoryModelJson from '../../data/memory-model.json';
import { compactName, hubKey, plainKey, regionKey } from './names';
import {
  DEFAULT_KEYS,
  DEVICE_CLASSES,
  GpuRowSchema,
  MEMORY_MODEL_KEYS,
  OverridesSchema,
  PRECISIONS,
  TABLE_FILES,
  TABLE_SCHEMAS,
  type CarbonProblem,
  type DefaultKey,
  type DefaultRow,
  type GpuRow,
  type MfuRow,
  type Result,
  type SourcedValue,
  type TableName,
  type Tables,
} from './schemas';

/** The shipped tables as imported, before validation. */
export const RAW_TABLES: Record<TableName, unknown> = {
  gpus: gpusJson,
  cpus: cpusJson,
  countries: countriesJson,
  cloudRegions: cloudRegionsJson,
  providers: providersJson,
  defaults: defaultsJson,
  mfu: mfuJson,
  visionModels: visionModelsJson,
  equivalents: equivalentsJson,
  languageModels: languageModelsJson,
  datasets: datasetsJson,
  trainingDefaults: trainingDefaultsJson,
  savingsFactors: savingsFactorsJson,
  memoryModel: memoryModelJson,
};

/** Validates raw table contents (the shipped JSON, or a test's copy) and checks them across rows. */
export function parseTables(raw: Record<TableName, unknown>): Result<Tables> {
  const problems: CarbonProblem[] = [];
  const parsed: Partial<Record<TableName, unknown>> = {};
  for (const name of Object.keys(TABLE_SCHEMAS) as TableName[]) {
    const result = TABLE_SCHEMAS[name].safeParse(raw[name]);
    if (result.success) parsed[name] = result.data;
    else problems.push(...tableIssues(name, raw[name], result.error));
  }
  if (problems.length > 0) return { ok: false, problems };
  const tables = parsed as unknown as Tables;
  problems.push(...checkTables(tables));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: tables };
}

let shipped: Result<Tables> | undefined;

/** The shipped tables, validated once and cached. A failure lists every bad row; nothing falls back. */
export function loadTables(): Result<Tables> {
  shipped ??= parseTables(RAW_TABLES);
  return shipped;
}

function tableIssues(name: TableName, raw: unknown, error: z.ZodError): CarbonProblem[] {
  return error.issues.slice(0, 20).map((issue) => {
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
    const rowLabel = describeRow(raw, issue.path);
    return {
      code: 'invalid-table' as const,
      path: `${TABLE_FILES[name]} ${path}`,
      message: `${TABLE_FILES[name]}: ${rowLabel}${path || '(top level)'}: ${issue.message}`,
    };
  });
}

/** `row 3 (a100-sxm4-80gb) ` for a path into `rows`, so the message names the row by its key. */
function describeRow(raw: unknown, path: readonly PropertyKey[]): string {
  if (path[0] !== 'rows' || typeof path[1] !== 'number') return '';
  const rows = (raw as { rows?: unknown[] } | undefined)?.rows;
  const row = rows?.[path[1]] as Record<string, unknown> | undefined;
  const key = row?.id ?? row?.key ?? row?.code ?? (row?.provider && row?.region ? `${String(row.provider)}:${String(row.region)}` : row?.provider);
  return typeof key === 'string' ? `row ${path[1]} (${key}) ` : `row ${path[1]} `;
}

/** Checks that need more than one row: unique names, resolvable defaults, complete key sets. */
export function checkTables(tables: Tables): CarbonProblem[] {
  const problems: CarbonProblem[] = [];
  const bad = (table: TableName, message: string) =>
    problems.push({ code: 'invalid-table', path: TABLE_FILES[table], message: `${TABLE_FILES[table]}: ${message}` });

  // Accelerators: every id, alias and family name must point at one row only.
  const gpuKeys = new Map<string, string>();
  for (const row of tables.gpus.rows) {
    for (const name of [row.id, ...row.aliases]) {
      const key = compactName(name);
      const owner = gpuKeys.get(key);
      if (key === '') bad('gpus', `row ${row.id}: name "${name}" is empty once normalised`);
      else if (owner !== undefined && owner !== row.id) bad('gpus', `name "${name}" of ${row.id} also names ${owner}`);
      else gpuKeys.set(key, row.id);
    }
  }
  for (const [family, { default: target }] of Object.entries(tables.gpus.families)) {
    const key = compactName(family);
    const owner = gpuKeys.get(key);
    if (owner !== undefined && owner !== target) bad('gpus', `family "${family}" is also a name of ${owner}`);
    if (!tables.gpus.rows.some((row) => row.id === target)) bad('gpus', `family "${family}" defaults to unknown id "${target}"`);
  }

  uniqueKeys(tables.cpus.rows.flatMap((row) => [row.id, ...row.aliases].map((name) => [compactName(name), row.id] as const)), (msg) => bad('cpus', msg));
  for (const cls of DEVICE_CLASSES) {
    if (cls === 'soc') continue;
    const defaults = tables.cpus.rows.filter((row) => row.defaultFor?.includes(cls));
    if (defaults.length !== 1) bad('cpus', `expected exactly one CPU with defaultFor "${cls}", found ${defaults.length}`);
  }

  uniqueKeys(
    tables.countries.rows.flatMap((row) => [row.code, row.name, ...row.aliases].map((name) => [plainKey(name), row.code] as const)),
    (msg) => bad('countries', msg),
  );
  if (!tables.countries.rows.some((row) => row.code === 'WORLD')) bad('countries', 'missing the WORLD row (the fallback when no location is given)');

  uniqueKeys(
    tables.cloudRegions.rows.flatMap((row) =>
      [row.region, ...row.aliases].map((name) => [`${row.provider}:${regionKey(name)}`, `${row.provider}:${row.region}`] as const),
    ),
    (msg) => bad('cloudRegions', msg),
  );
  for (const row of tables.cloudRegions.rows) {
    if (!tables.providers.rows.some((p) => p.provider === row.provider)) bad('cloudRegions', `region ${row.provider}:${row.region} has no provider row in providers.json`);
  }
  uniqueKeys(
    tables.providers.rows.flatMap((row) => [row.provider, row.name, ...row.aliases].map((name) => [plainKey(name), row.provider] as const)),
    (msg) => bad('providers', msg),
  );

  for (const key of DEFAULT_KEYS) {
    const count = tables.defaults.rows.filter((row) => row.key === key).length;
    if (count !== 1) bad('defaults', `expected exactly one row for "${key}", found ${count}`);
  }
  for (const precision of PRECISIONS) {
    if (!tables.mfu.rows.some((row) => row.precision === precision && row.generation === '*')) {
      bad('mfu', `missing the generation "*" row for ${precision}`);
    }
  }
  uniqueKeys(
    tables.mfu.rows.map((row) => [`${row.precision}/${row.generation}`, `${row.precision}/${row.generation}`] as const),
    (msg) => bad('mfu', msg),
  );
  uniqueKeys(
    tables.visionModels.rows.flatMap((row) => [row.id, ...row.aliases].map((name) => [plainKey(name), row.id] as const)),
    (msg) => bad('visionModels', msg),
  );
  uniqueKeys(
    tables.equivalents.rows.map((row) => [row.id, row.id] as const),
    (msg) => bad('equivalents', msg),
  );
  uniqueKeys(
    tables.languageModels.rows.flatMap((row) => [row.id, ...row.aliases].map((name) => [hubKey(name), row.id] as const)),
    (msg) => bad('languageModels', msg),
  );
  uniqueKeys(
    tables.datasets.rows.flatMap((row) => [row.id, ...row.aliases].map((name) => [hubKey(name), row.id] as const)),
    (msg) => bad('datasets', msg),
  );
  uniqueKeys(
    tables.trainingDefaults.rows.map((row) => [`${row.framework}.${row.key}`, `${row.framework}.${row.key}:${row.value}`] as const),
    (msg) => bad('trainingDefaults', msg),
  );
  uniqueKeys(
    tables.savingsFactors.rows.map((row) => [row.id, `${row.id}/${row.rule}`] as const),
    (msg) => bad('savingsFactors', msg),
  );
  for (const key of MEMORY_MODEL_KEYS) {
    const count = tables.memoryModel.rows.filter((row) => row.key === key).length;
    if (count !== 1) bad('memoryModel', `expected exactly one row for "${key}", found ${count}`);
  }
  return problems;
}

function uniqueKeys(entries: ReadonlyArray<readonly [string, string]>, report: (message: string) => void): void {
  const seen = new Map<string, string>();
  for (const [key, owner] of entries) {
    const previous = seen.get(key);
    if (previous !== undefined && previous !== owner) report(`name "${key}" names both ${previous} and ${owner}`);
    else if (previous !== undefined && previous === owner) continue;
    else seen.set(key, owner);
  }
}

/** Looks up a scalar default (always present once the tables validated). */
export function defaultRow(tables: Tables, key: DefaultKey): DefaultRow {
  const row = tables.defaults.rows.find((r) => r.key === key);
  if (!row) throw new Error(`model-defaults has no row "${key}" (the tables were not validated)`);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Overrides

const overrideSource = (path: string) => ({ source: { title: `User override (${path})` }, year: null });

/**
 * Returns the tables with the user's overrides applied; the shipped tables are not modified.
 * Each overridden value carries the override as its source, so it shows up in the assumptions.
 */
export function applyOverrides(base: Tables, raw: unknown): Result<Tables> {
  if (raw === undefined || raw === null) return { ok: true, value: base };
  const parsed = OverridesSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const path = ['overrides', ...issue.path.map(String)].join('.');
        return { code: 'invalid-override' as const, path, message: `${path}: ${issue.message}` };
      }),
    };
  }
  const overrides = parsed.data;
  const tables = structuredClone(base);
  const problems: CarbonProblem[] = [];

  overrides.gpus?.forEach((patch, index) => {
    const path = `overrides.gpus[${index}]`;
    const key = compactName(patch.id);
    const family = Object.entries(tables.gpus.families).find(([name]) => compactName(name) === key)?.[1].default;
    const existing = tables.gpus.rows.find((row) => [row.id, ...row.aliases].some((name) => compactName(name) === key) || row.id === family);
    const { embodiedKgCO2e, ...fields } = patch;
    const embodied = embodiedKgCO2e === undefined ? {} : { embodiedKgCO2e: { value: embodiedKgCO2e, ...overrideSource(`${path}.embodiedKgCO2e`) } };
    if (existing) {
      Object.assign(existing, { ...fields, id: existing.id, peakTflops: { ...existing.peakTflops, ...fields.peakTflops } }, embodied, overrideSource(path));
      return;
    }
    const candidate = {
      name: patch.id,
      vendor: 'custom',
      generation: 'custom',
      class: 'datacenter',
      memoryGB: 1,
      aliases: [],
      ...fields,
      id: patch.id.toLowerCase(),
      tdpW: fields.tdpW ?? null,
      source: { title: 'User override', url: 'https://example.invalid/user-override' },
      year: 2000,
    };
    const row = GpuRowSchema.safeParse(candidate);
    if (!row.success) {
      const issue = row.error.issues[0];
      problems.push({
        code: 'invalid-override',
        path,
        message: `${path}: "${patch.id}" is not a known GPU, so it is added as a new row and needs ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'tdpW and peakTflops'}`,
      });
      return;
    }
    tables.gpus.rows.push({ ...row.data, ...embodied, ...overrideSource(path) } as GpuRow);
  });

  overrides.cpus?.forEach((patch, index) => {
    const path = `overrides.cpus[${index}]`;
    const key = compactName(patch.id);
    const existing = tables.cpus.rows.find((row) => [row.id, ...row.aliases].some((name) => compactName(name) === key));
    if (existing) Object.assign(existing, { tdpW: patch.tdpW, ...(patch.cores ? { cores: patch.cores } : {}) }, overrideSource(path));
    else tables.cpus.rows.push({ id: patch.id.toLowerCase(), name: patch.name ?? patch.id, tdpW: patch.tdpW, cores: patch.cores ?? 1, aliases: patch.aliases ?? [], ...overrideSource(path) });
  });

  for (const [name, value] of Object.entries(overrides.countries ?? {})) {
    const path = `overrides.countries.${name}`;
    const key = plainKey(name);
    const existing = tables.countries.rows.find((row) => [row.code, row.name, ...row.aliases].some((n) => plainKey(n) === key));
    if (existing) Object.assign(existing, { gCO2ePerKWh: value }, overrideSource(path));
    else tables.countries.rows.push({ code: name.toUpperCase(), name, gCO2ePerKWh: value, aliases: [], ...overrideSource(path) });
  }

  for (const [name, value] of Object.entries(overrides.cloudRegions ?? {})) {
    const path = `overrides.cloudRegions.${name}`;
    const [providerName = '', region = ''] = splitProviderRegion(name);
    const provider = tables.providers.rows.find((p) => [p.provider, p.name, ...p.aliases].some((n) => plainKey(n) === plainKey(providerName)));
    if (!provider) {
      problems.push({ code: 'invalid-override', path, message: `${path}: unknown provider "${providerName}" (known: ${tables.providers.rows.map((p) => p.provider).join(', ')})` });
      continue;
    }
    const existing = tables.cloudRegions.rows.find(
      (row) => row.provider === provider.provider && [row.region, ...row.aliases].some((n) => regionKey(n) === regionKey(region)),
    );
    if (existing) Object.assign(existing, { gCO2ePerKWh: value }, overrideSource(path));
    else tables.cloudRegions.rows.push({ provider: provider.provider, region, location: region, country: 'ZZ', gCO2ePerKWh: value, aliases: [], ...overrideSource(path) });
  }

  for (const [name, values] of Object.entries(overrides.providers ?? {})) {
    const path = `overrides.providers.${name}`;
    const provider = tables.providers.rows.find((p) => [p.provider, p.name, ...p.aliases].some((n) => plainKey(n) === plainKey(name)));
    if (!provider) {
      problems.push({ code: 'invalid-override', path, message: `${path}: unknown provider "${name}" (known: ${tables.providers.rows.map((p) => p.provider).join(', ')})` });
      continue;
    }
    if (values.pue !== undefined) provider.pue = { value: values.pue, ...overrideSource(`${path}.pue`) } satisfies SourcedValue;
    if (values.wue !== undefined) provider.wue = { value: values.wue, ...overrideSource(`${path}.wue`) } satisfies SourcedValue;
  }

  for (const [key, value] of Object.entries(overrides.defaults ?? {})) {
    if (value === undefined) continue;
    const row = tables.defaults.rows.find((r) => r.key === key);
    if (!row) continue; // the schema only admits known keys
    const range = typeof value === 'number' ? { value, low: undefined, high: undefined } : value;
    Object.assign(row, range, overrideSource(`overrides.defaults.${key}`), { rangeSource: undefined, note: undefined });
  }

  for (const [precision, value] of Object.entries(overrides.mfu ?? {})) {
    if (value === undefined) continue;
    const path = `overrides.mfu.${precision}`;
    const range = typeof value === 'number' ? { value, low: value, high: value } : value;
    if (range.value <= 0 || range.high > 1) {
      problems.push({ code: 'invalid-override', path, message: `${path}: MFU must be in (0, 1], got ${JSON.stringify(value)}` });
      continue;
    }
    // One override row for every generation: it replaces the generation-specific rows too.
    tables.mfu.rows = tables.mfu.rows.filter((row) => row.precision !== precision);
    tables.mfu.rows.push({ precision: precision as MfuRow['precision'], generation: '*', ...range, ...overrideSource(path) });
  }

  if (problems.length > 0) return { ok: false, problems };
  const crossProblems = checkTables(tables).map((p) => ({ ...p, code: 'invalid-override' as const, message: `after applying overrides: ${p.message}` }));
  return crossProblems.length > 0 ? { ok: false, problems: crossProblems } : { ok: true, value: tables };
}

function splitProviderRegion(name: string): [string, string] {
  const at = name.indexOf(':');
  return [name.slice(0, at), name.slice(at + 1)];
}
