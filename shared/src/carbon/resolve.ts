/** Resolves the names people and tools write (accelerators, CPUs, places, models) to table rows. */
import { compactName, didYouMean, hubKey, hubKeys, plainKey, regionKey, suggest } from './names';
import type { CloudRegionRow, CountryRow, CpuRow, DatasetRow, DeviceClass, GpuRow, LanguageModelRow, ProviderRow, Result, Tables, VisionModelRow } from './schemas';
import { loadTables } from './tables';

export interface ResolvedGpu {
  gpu: GpuRow;
  matchedBy: 'id' | 'alias' | 'family';
  /** Set when the name was ambiguous and a documented default was chosen. */
  note?: string;
}

function withTables<T>(tables: Tables | undefined, run: (tables: Tables) => Result<T>): Result<T> {
  if (tables) return run(tables);
  const loaded = loadTables();
  return loaded.ok ? run(loaded.value) : loaded;
}

/**
 * `A100`, `a100-sxm4-80gb` and `NVIDIA A100-SXM4-80GB` (as nvidia-smi prints it) all resolve;
 * ambiguous family names resolve to the table's documented default and say so in `note`.
 */
export function resolveGpu(name: string, tables?: Tables): Result<ResolvedGpu> {
  return withTables<ResolvedGpu>(tables, (t) => {
    const key = compactName(name);
    for (const gpu of t.gpus.rows) {
      if (compactName(gpu.id) === key) return { ok: true, value: { gpu, matchedBy: 'id' } };
    }
    for (const gpu of t.gpus.rows) {
      if (gpu.aliases.some((alias) => compactName(alias) === key)) return { ok: true, value: { gpu, matchedBy: 'alias' } };
    }
    for (const [family, { default: target, reason }] of Object.entries(t.gpus.families)) {
      if (compactName(family) !== key) continue;
      const gpu = t.gpus.rows.find((row) => row.id === target);
      if (!gpu) break;
      const variants = t.gpus.rows.filter((row) => compactName(row.id).startsWith(key)).map((row) => row.id);
      const note = `"${name}" is ambiguous; assuming ${gpu.id} (${reason}). Give the exact variant${variants.length > 1 ? `: ${variants.join(', ')}` : ''}.`;
      return { ok: true, value: { gpu, matchedBy: 'family', note } };
    }
    const candidates: Array<[string, string]> = [
      ...t.gpus.rows.flatMap((row) => [row.id, ...row.aliases].map((n) => [compactName(n), row.id] as [string, string])),
      ...Object.keys(t.gpus.families).map((family) => [compactName(family), family] as [string, string]),
    ];
    const suggestions = suggest(key, candidates);
    return {
      ok: false,
      problems: [
        {
          code: 'unknown-gpu',
          path: 'hardware.gpu',
          message: `unknown GPU "${name}"${didYouMean(suggestions)}. Add it with overrides.gpus (id, tdpW, peakTflops) if it is not in shared/data/gpus.json.`,
          suggestions,
        },
      ],
    };
  });
}

/** A CPU by id or alias; with no name, the table's default host CPU for the accelerator class. */
export function resolveCpu(name: string | undefined, deviceClass: DeviceClass, tables?: Tables): Result<CpuRow> {
  return withTables<CpuRow>(tables, (t) => {
    if (name === undefined) {
      const cpu = t.cpus.rows.find((row) => row.defaultFor?.includes(deviceClass)) ?? t.cpus.rows.find((row) => row.defaultFor?.includes('datacenter'));
      return cpu ? { ok: true, value: cpu } : { ok: false, problems: [{ code: 'missing-data', message: `shared/data/cpus.json has no default CPU for "${deviceClass}"` }] };
    }
    const key = compactName(name);
    const cpu = t.cpus.rows.find((row) => [row.id, ...row.aliases].some((n) => compactName(n) === key));
    if (cpu) return { ok: true, value: cpu };
    const suggestions = suggest(key, t.cpus.rows.flatMap((row) => [row.id, ...row.aliases].map((n) => [compactName(n), row.id] as [string, string])));
    return {
      ok: false,
      problems: [
        {
          code: 'unknown-cpu',
          path: 'hardware.cpu.model',
          message: `unknown CPU "${name}"${didYouMean(suggestions)}. Give hardware.cpu.powerW, or add it with overrides.cpus.`,
          suggestions,
        },
      ],
    };
  });
}

export interface LocationQuery {
  country?: string | undefined;
  cloudRegion?: { provider: string; region: string } | undefined;
}

export interface ResolvedLocation {
  kind: 'cloud-region' | 'country' | 'world';
  /** `aws:us-east-1`, `FR`, `WORLD`. */
  key: string;
  /** What a person reads: `us-east-1`, `France`, `world average`. */
  label: string;
  gCO2ePerKWh: number;
  row: CountryRow | CloudRegionRow;
  provider?: ProviderRow;
  note?: string;
}

/**
 * A place by cloud region (`{provider, region}`), country (ISO code, name or alias), or one string:
 * `aws:us-east-1`, `us-east-1` (searched across providers), `FR`, `France`. Nothing given → world average.
 */
export function resolveLocation(query: LocationQuery | string | undefined, tables?: Tables): Result<ResolvedLocation> {
  return withTables<ResolvedLocation>(tables, (t) => {
    if (typeof query === 'string') return resolveLocationString(query, t);
    if (query?.cloudRegion) return resolveCloudRegion(query.cloudRegion.provider, query.cloudRegion.region, t);
    if (query?.country) return resolveCountry(query.country, t);
    const world = t.countries.rows.find((row) => row.code === 'WORLD');
    if (!world) return { ok: false, problems: [{ code: 'missing-data', message: 'shared/data/grid-countries.json has no WORLD row' }] };
    return {
      ok: true,
      value: { kind: 'world', key: 'WORLD', label: 'world average', gCO2ePerKWh: world.gCO2ePerKWh, row: world, note: 'no location given: using the world average grid intensity' },
    };
  });
}

export function resolveProvider(name: string, tables: Tables): Result<ProviderRow> {
  const key = plainKey(name);
  const provider = tables.providers.rows.find((p) => [p.provider, p.name, ...p.aliases].some((n) => plainKey(n) === key));
  if (provider) return { ok: true, value: provider };
  const suggestions = suggest(key, tables.providers.rows.flatMap((p) => [p.provider, ...p.aliases].map((n) => [plainKey(n), p.provider] as [string, string])));
  return {
    ok: false,
    problems: [
      {
        code: 'unknown-location',
        path: 'location.cloudRegion.provider',
        message: `unknown cloud provider "${name}"${didYouMean(suggestions)}; known: ${tables.providers.rows.map((p) => p.provider).join(', ')}`,
        suggestions,
      },
    ],
  };
}

function resolveCloudRegion(providerName: string, region: string, t: Tables): Result<ResolvedLocation> {
  const provider = resolveProvider(providerName, t);
  if (!provider.ok) return provider;
  const key = regionKey(region);
  const regions = t.cloudRegions.rows.filter((row) => row.provider === provider.value.provider);
  const row = regions.find((r) => [r.region, ...r.aliases].some((n) => regionKey(n) === key));
  if (row) return { ok: true, value: regionLocation(row, provider.value) };
  const suggestions = suggest(key, regions.flatMap((r) => [r.region, ...r.aliases].map((n) => [regionKey(n), r.region] as [string, string])));
  return {
    ok: false,
    problems: [
      {
        code: 'unknown-location',
        path: 'location.cloudRegion.region',
        message: `unknown ${provider.value.provider} region "${region}"${didYouMean(suggestions)}. Give location.country or location.gCO2ePerKWh, or add it with overrides.cloudRegions.`,
        suggestions,
      },
    ],
  };
}

function regionLocation(row: CloudRegionRow, provider: ProviderRow): ResolvedLocation {
  return { kind: 'cloud-region', key: `${row.provider}:${row.region}`, label: row.region, gCO2ePerKWh: row.gCO2ePerKWh, row, provider };
}

function resolveCountry(name: string, t: Tables): Result<ResolvedLocation> {
  const key = plainKey(name);
  const row = t.countries.rows.find((r) => [r.code, r.name, ...r.aliases].some((n) => plainKey(n) === key));
  if (row) {
    const kind = row.code === 'WORLD' ? 'world' : 'country';
    return { ok: true, value: { kind, key: row.code, label: kind === 'world' ? 'world average' : row.name, gCO2ePerKWh: row.gCO2ePerKWh, row } };
  }
  const suggestions = suggest(key, t.countries.rows.flatMap((r) => [r.name, ...r.aliases].map((n) => [plainKey(n), r.name] as [string, string])));
  return {
    ok: false,
    problems: [
      {
        code: 'unknown-location',
        path: 'location.country',
        message: `unknown country "${name}"${didYouMean(suggestions)}. Give location.gCO2ePerKWh, or add it with overrides.countries.`,
        suggestions,
      },
    ],
  };
}

function resolveLocationString(text: string, t: Tables): Result<ResolvedLocation> {
  const separator = text.search(/[:/]/);
  if (separator > 0) return resolveCloudRegion(text.slice(0, separator), text.slice(separator + 1), t);
  const key = regionKey(text);
  const regions = t.cloudRegions.rows.filter((r) => [r.region, ...r.aliases].some((n) => regionKey(n) === key));
  if (regions.length > 1) {
    const names = regions.map((r) => `${r.provider}:${r.region}`);
    return {
      ok: false,
      problems: [{ code: 'unknown-location', message: `"${text}" is a region of several providers; write one of ${names.join(', ')}`, suggestions: names }],
    };
  }
  const region = regions[0];
  if (region) {
    const provider = t.providers.rows.find((p) => p.provider === region.provider);
    if (provider) return { ok: true, value: regionLocation(region, provider) };
  }
  const country = resolveCountry(text, t);
  if (country.ok) return country;
  const suggestions = [
    ...suggest(key, t.cloudRegions.rows.map((r) => [regionKey(r.region), `${r.provider}:${r.region}`] as [string, string]), 2),
    ...(country.problems[0]?.suggestions ?? []),
  ].slice(0, 3);
  return {
    ok: false,
    problems: [{ code: 'unknown-location', message: `unknown location "${text}"${didYouMean(suggestions)}: expected a country or a cloud region such as aws:us-east-1`, suggestions }],
  };
}

/** A known vision model by id or alias (torchvision names: `resnet50`, `vit_b_16`…). */
export function resolveVisionModel(name: string, tables?: Tables): Result<VisionModelRow> {
  return withTables<VisionModelRow>(tables, (t) => {
    const key = plainKey(name);
    const row = t.visionModels.rows.find((r) => [r.id, ...r.aliases].some((n) => plainKey(n) === key));
    if (row) return { ok: true, value: row };
    const suggestions = suggest(key, t.visionModels.rows.flatMap((r) => [r.id, ...r.aliases].map((n) => [plainKey(n), r.id] as [string, string])));
    return {
      ok: false,
      problems: [
        {
          code: 'unknown-model',
          path: 'compute.model',
          message: `unknown model "${name}"${didYouMean(suggestions)}. Give compute.flops, or compute.parameters and compute.tokens for a transformer.`,
          suggestions,
        },
      ],
    };
  });
}

/** Finds a row by hub name, with or without the owner prefix; null when no row has the name. */
function findHubRow<T extends { id: string; aliases: string[] }>(rows: readonly T[], name: string): T | null {
  for (const key of hubKeys(name)) {
    const row = rows.find((r) => [r.id, ...r.aliases].some((n) => hubKeys(n).includes(key)));
    if (row) return row;
  }
  return null;
}

/** A pretrained checkpoint by hub name (`bert-base-uncased`, `meta-llama/Llama-2-7b-hf`) → its parameter count. */
export function resolveLanguageModel(name: string, tables?: Tables): Result<LanguageModelRow> {
  return withTables<LanguageModelRow>(tables, (t) => {
    const row = findHubRow(t.languageModels.rows, name);
    if (row) return { ok: true, value: row };
    const key = hubKeys(name).at(-1) ?? hubKey(name);
    const suggestions = suggest(key, t.languageModels.rows.flatMap((r) => [r.id, ...r.aliases].map((n) => [hubKeys(n).at(-1) ?? n, r.id] as [string, string])));
    return {
      ok: false,
      problems: [{ code: 'unknown-model', path: 'compute.parameters', message: `unknown checkpoint "${name}"${didYouMean(suggestions)}: give its parameter count`, suggestions }],
    };
  });
}

/** A dataset by hub name and configuration (`glue/sst2`, `imdb`, `mnist`) → its training-split size. */
export function resolveDataset(name: string, tables?: Tables): Result<DatasetRow> {
  return withTables<DatasetRow>(tables, (t) => {
    const row = findHubRow(t.datasets.rows, name);
    if (row) return { ok: true, value: row };
    const key = hubKeys(name).at(-1) ?? hubKey(name);
    const suggestions = suggest(key, t.datasets.rows.flatMap((r) => [r.id, ...r.aliases].map((n) => [hubKey(n), r.id] as [string, string])));
    return {
      ok: false,
      problems: [{ code: 'unknown-dataset', path: 'dataset', message: `unknown dataset "${name}"${didYouMean(suggestions)}: give the number of training samples`, suggestions }],
    };
  });
}
