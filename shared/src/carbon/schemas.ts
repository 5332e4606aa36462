/**
 * Zod schemas of the carbon model: the data tables (shared/data/*.json), the run input, the user
 * overrides and the serialised estimate. Every factual number lives in a table row with a source and
 * a year; the schemas make sure it does.
 */
import { z } from 'zod';

export const PRECISIONS = ['fp32', 'tf32', 'bf16', 'fp16', 'fp8'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const DEVICE_CLASSES = ['datacenter', 'workstation', 'soc', 'tpu'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

// ---------------------------------------------------------------------------------------------
// Provenance

/** Where a table value comes from: a title and a URL, both required in the shipped tables. */
export const TableSourceSchema = z.strictObject({
  title: z.string().min(1),
  url: z.url(),
});
const YearSchema = z.number().int().min(1990).max(2100);

/** Provenance as carried through the model: user overrides and run inputs have no URL or year. */
export interface Source {
  title: string;
  url?: string | undefined;
}
export interface Provenance {
  source: Source;
  /** Year the figure refers to or was published; null for values the user gave. */
  year: number | null;
  note?: string | undefined;
}

const sourcedNumber = (value: z.ZodNumber) =>
  z.strictObject({ value, source: TableSourceSchema, year: YearSchema, note: z.string().optional() });

const aliases = z.array(z.string().min(1));
const id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a lower-case id of letters, digits, - and _');

// ---------------------------------------------------------------------------------------------
// Tables

export const PeakTflopsSchema = z
  .strictObject({
    fp32: z.number().positive().optional(),
    tf32: z.number().positive().optional(),
    bf16: z.number().positive().optional(),
    fp16: z.number().positive().optional(),
    fp8: z.number().positive().optional(),
  })
  .refine((peaks) => Object.values(peaks).some((v) => v !== undefined), 'give at least one precision');
export type PeakTflops = z.infer<typeof PeakTflopsSchema>;

export const GpuRowSchema = z.strictObject({
  id,
  name: z.string().min(1),
  vendor: z.string().min(1),
  generation: z.string().min(1),
  class: z.enum(DEVICE_CLASSES),
  memoryGB: z.number().positive(),
  /** Vendor TDP (board power) in W; null where the vendor publishes none. */
  tdpW: z.number().positive().nullable(),
  /** Peak dense throughput in TFLOP/s per precision (no sparsity). */
  peakTflops: PeakTflopsSchema,
  aliases,
  embodiedKgCO2e: sourcedNumber(z.number().positive()).optional(),
  approximate: z.boolean().optional(),
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});

export const GpuTableSchema = z.strictObject({
  table: z.literal('gpus'),
  description: z.string(),
  families: z.record(z.string().min(1), z.strictObject({ default: id, reason: z.string().min(1) })),
  rows: z.array(GpuRowSchema).min(1),
});

export const CpuRowSchema = z.strictObject({
  id,
  name: z.string().min(1),
  tdpW: z.number().positive(),
  cores: z.number().int().positive(),
  defaultFor: z.array(z.enum(DEVICE_CLASSES)).optional(),
  aliases,
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const CpuTableSchema = z.strictObject({
  table: z.literal('cpus'),
  description: z.string(),
  rows: z.array(CpuRowSchema).min(1),
});

export const CountryRowSchema = z.strictObject({
  code: z.string().regex(/^([A-Z]{2}|WORLD)$/, 'expected an ISO 3166-1 alpha-2 code or WORLD'),
  name: z.string().min(1),
  gCO2ePerKWh: z.number().min(0),
  aliases,
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const CountryTableSchema = z.strictObject({
  table: z.literal('grid-countries'),
  description: z.string(),
  rows: z.array(CountryRowSchema).min(1),
});

export const CloudRegionRowSchema = z.strictObject({
  provider: id,
  region: z.string().min(1),
  location: z.string().min(1),
  country: z.string().regex(/^[A-Z]{2}$/),
  gCO2ePerKWh: z.number().min(0),
  aliases,
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const CloudRegionTableSchema = z.strictObject({
  table: z.literal('cloud-regions'),
  description: z.string(),
  rows: z.array(CloudRegionRowSchema).min(1),
});

export const ProviderRowSchema = z.strictObject({
  provider: id,
  name: z.string().min(1),
  aliases,
  pue: sourcedNumber(z.number().min(1)),
  wue: sourcedNumber(z.number().min(0)).nullable(),
  note: z.string().optional(),
});
export const ProviderTableSchema = z.strictObject({
  table: z.literal('providers'),
  description: z.string(),
  rows: z.array(ProviderRowSchema).min(1),
});

/** Every scalar default the model reads; the table must hold each exactly once. */
export const DEFAULT_KEYS = [
  'gpuUtilisation',
  'cpuUtilisation',
  'ramWattsPerGB',
  'hostRamGBPerGpu',
  'cpuSocketsPerGpu',
  'gpusPerServer',
  'pueDatacenter',
  'pueNoDatacenter',
  'wueDefault',
  'wueNoDatacenter',
  'ewif',
  'embodiedLifespanYears',
  'embodiedFleetUtilisation',
  'serverEmbodiedKgCO2e',
  'acceleratorEmbodiedFallbackKgCO2e',
  'flopsPerParameterPerToken',
  'trainingFlopsPerForwardMac',
  'gridIntensityRelativeUncertainty',
  'mixedPrecisionSpeedup',
] as const;
export type DefaultKey = (typeof DEFAULT_KEYS)[number];

export const DefaultRowSchema = z
  .strictObject({
    key: z.enum(DEFAULT_KEYS),
    value: z.number().min(0),
    low: z.number().min(0).optional(),
    high: z.number().min(0).optional(),
    unit: z.string().min(1),
    note: z.string().optional(),
    source: TableSourceSchema,
    rangeSource: TableSourceSchema.optional(),
    year: YearSchema,
  })
  .refine((row) => (row.low === undefined) === (row.high === undefined), 'give both low and high, or neither')
  .refine((row) => row.low === undefined || row.high === undefined || (row.low <= row.value && row.value <= row.high), 'expected low ≤ value ≤ high');
export const DefaultTableSchema = z.strictObject({
  table: z.literal('model-defaults'),
  description: z.string(),
  rows: z.array(DefaultRowSchema).min(1),
});

export const MfuRowSchema = z
  .strictObject({
    precision: z.enum(PRECISIONS),
    /** Hardware generation as in gpus.json, or '*' for any. */
    generation: z.string().min(1),
    value: z.number().gt(0).max(1),
    low: z.number().gt(0).max(1),
    high: z.number().gt(0).max(1),
    note: z.string().optional(),
    source: TableSourceSchema,
    rangeSource: TableSourceSchema.optional(),
    year: YearSchema,
  })
  .refine((row) => row.low <= row.value && row.value <= row.high, 'expected low ≤ value ≤ high');
export const MfuTableSchema = z.strictObject({
  table: z.literal('mfu'),
  description: z.string(),
  rows: z.array(MfuRowSchema).min(1),
});

export const VisionModelRowSchema = z.strictObject({
  id,
  forwardGMACs: z.number().positive(),
  inputResolution: z.number().int().positive(),
  aliases,
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const VisionModelTableSchema = z.strictObject({
  table: z.literal('vision-models'),
  description: z.string(),
  rows: z.array(VisionModelRowSchema).min(1),
});

export const EquivalentRowSchema = z.strictObject({
  id,
  label: z.string().min(1),
  unit: z.string().min(1),
  kgCO2ePerUnit: z.number().positive(),
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const EquivalentTableSchema = z.strictObject({
  table: z.literal('equivalents'),
  description: z.string(),
  rows: z.array(EquivalentRowSchema).min(1),
});

/** Ids of the extraction tables: hub and dataset names keep their dots and slashes (`qwen2.5-7b`, `glue/sst2`). */
const nameId = z.string().regex(/^[a-z0-9][a-z0-9_./-]*$/, 'expected a lower-case id of letters, digits, -, _, . and /');

export const LanguageModelRowSchema = z.strictObject({
  id: nameId,
  /** Total parameter count (dense). */
  parameters: z.number().positive(),
  /** Transformer shape, where a source gives it (GA607's activation estimate); absent otherwise. */
  architecture: z
    .strictObject({
      layers: z.number().int().positive(),
      hidden: z.number().int().positive(),
      heads: z.number().int().positive(),
      source: TableSourceSchema,
      year: YearSchema,
    })
    .optional(),
  aliases,
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const LanguageModelTableSchema = z.strictObject({
  table: z.literal('language-models'),
  description: z.string(),
  rows: z.array(LanguageModelRowSchema).min(1),
});

export const DatasetRowSchema = z.strictObject({
  id: nameId,
  /** Examples in the training split. */
  trainExamples: z.number().int().positive(),
  /** Tokens in the training split, where the source counts them (language-modelling corpora). */
  trainTokens: z.number().int().positive().optional(),
  /** Side of the (square) images in pixels, where every image has the same size. */
  imageResolution: z.number().int().positive().optional(),
  aliases,
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const DatasetTableSchema = z.strictObject({
  table: z.literal('datasets'),
  description: z.string(),
  rows: z.array(DatasetRowSchema).min(1),
});

export const TRAINING_FRAMEWORKS = ['transformers', 'lightning', 'torch'] as const;
export const TrainingDefaultRowSchema = z.strictObject({
  framework: z.enum(TRAINING_FRAMEWORKS),
  key: z.string().min(1),
  value: z.number().positive(),
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const TrainingDefaultTableSchema = z.strictObject({
  table: z.literal('training-defaults'),
  description: z.string(),
  rows: z.array(TrainingDefaultRowSchema).min(1),
});

export const SavingsFactorRowSchema = z
  .strictObject({
    id,
    /** The rule whose fix the factor describes. */
    rule: z.string().regex(/^GA\d{3}$/),
    /** Share of the run's device time that the fix removes. */
    value: z.number().gt(0).lt(1),
    low: z.number().gt(0).lt(1),
    high: z.number().gt(0).lt(1),
    unit: z.string().min(1),
    description: z.string().min(1),
    note: z.string().optional(),
    source: TableSourceSchema,
    rangeSource: TableSourceSchema.optional(),
    year: YearSchema,
  })
  .refine((row) => row.low <= row.value && row.value <= row.high, 'expected low ≤ value ≤ high');
export const SavingsFactorTableSchema = z.strictObject({
  table: z.literal('savings-factors'),
  description: z.string(),
  rows: z.array(SavingsFactorRowSchema).min(1),
});

/** Every constant of the training-memory estimate (GA607); the table must hold each exactly once. */
export const MEMORY_MODEL_KEYS = [
  'weightBytesFp32',
  'weightBytesMixed',
  'gradientBytes',
  'adamStateBytes',
  'momentumStateBytes',
  'transformerActivationBytesPerSbh',
  'cudaContextGB',
] as const;
export type MemoryModelKey = (typeof MEMORY_MODEL_KEYS)[number];

export const MemoryModelRowSchema = z.strictObject({
  key: z.enum(MEMORY_MODEL_KEYS),
  value: z.number().min(0),
  unit: z.string().min(1),
  note: z.string().optional(),
  source: TableSourceSchema,
  year: YearSchema,
});
export const MemoryModelTableSchema = z.strictObject({
  table: z.literal('memory-model'),
  description: z.string(),
  rows: z.array(MemoryModelRowSchema).min(1),
});

/** The table files, by the name the model uses for each. */
export const TABLE_SCHEMAS = {
  gpus: GpuTableSchema,
  cpus: CpuTableSchema,
  countries: CountryTableSchema,
  cloudRegions: CloudRegionTableSchema,
  providers: ProviderTableSchema,
  defaults: DefaultTableSchema,
  mfu: MfuTableSchema,
  visionModels: VisionModelTableSchema,
  equivalents: EquivalentTableSchema,
  languageModels: LanguageModelTableSchema,
  datasets: DatasetTableSchema,
  trainingDefaults: TrainingDefaultTableSchema,
  savingsFactors: SavingsFactorTableSchema,
  memoryModel: MemoryModelTableSchema,
} as const;
export type TableName = keyof typeof TABLE_SCHEMAS;

export const TABLE_FILES: Record<TableName, string> = {
  gpus: 'shared/data/gpus.json',
  cpus: 'shared/data/cpus.json',
  countries: 'shared/data/grid-countries.json',
  cloudRegions: 'shared/data/cloud-regions.json',
  providers: 'shared/data/providers.json',
  defaults: 'shared/data/model-defaults.json',
  mfu: 'shared/data/mfu.json',
  visionModels: 'shared/data/vision-models.json',
  equivalents: 'shared/data/equivalents.json',
  languageModels: 'shared/data/language-models.json',
  datasets: 'shared/data/datasets.json',
  trainingDefaults: 'shared/data/training-defaults.json',
  savingsFactors: 'shared/data/savings-factors.json',
  memoryModel: 'shared/data/memory-model.json',
};

// Row types as the model sees them: shipped rows, plus rows from user overrides, whose provenance is
// the override itself (no URL, no year).
type WithProvenance<T> = Omit<T, 'source' | 'year'> & { source: Source; year: number | null };
export type GpuRow = WithProvenance<z.infer<typeof GpuRowSchema>>;
export type CpuRow = WithProvenance<z.infer<typeof CpuRowSchema>>;
export type CountryRow = WithProvenance<z.infer<typeof CountryRowSchema>>;
export type CloudRegionRow = WithProvenance<z.infer<typeof CloudRegionRowSchema>>;
export interface SourcedValue extends Provenance {
  value: number;
}
export interface ProviderRow {
  provider: string;
  name: string;
  aliases: string[];
  pue: SourcedValue;
  wue: SourcedValue | null;
  note?: string | undefined;
}
export type DefaultRow = WithProvenance<z.infer<typeof DefaultRowSchema>>;
export type MfuRow = WithProvenance<z.infer<typeof MfuRowSchema>>;
export type VisionModelRow = WithProvenance<z.infer<typeof VisionModelRowSchema>>;
export type EquivalentRow = WithProvenance<z.infer<typeof EquivalentRowSchema>>;
export type LanguageModelRow = z.infer<typeof LanguageModelRowSchema>;
export type DatasetRow = z.infer<typeof DatasetRowSchema>;
export type TrainingDefaultRow = z.infer<typeof TrainingDefaultRowSchema>;
export type SavingsFactorRow = z.infer<typeof SavingsFactorRowSchema>;
export type MemoryModelRow = z.infer<typeof MemoryModelRowSchema>;

/** All tables, validated. Build with `loadTables()` (shipped) and `applyOverrides()` (user settings). */
export interface Tables {
  gpus: { families: Record<string, { default: string; reason: string }>; rows: GpuRow[] };
  cpus: { rows: CpuRow[] };
  countries: { rows: CountryRow[] };
  cloudRegions: { rows: CloudRegionRow[] };
  providers: { rows: ProviderRow[] };
  defaults: { rows: DefaultRow[] };
  mfu: { rows: MfuRow[] };
  visionModels: { rows: VisionModelRow[] };
  equivalents: { rows: EquivalentRow[] };
  languageModels: { rows: LanguageModelRow[] };
  datasets: { rows: DatasetRow[] };
  trainingDefaults: { rows: TrainingDefaultRow[] };
  savingsFactors: { rows: SavingsFactorRow[] };
  memoryModel: { rows: MemoryModelRow[] };
}

// ---------------------------------------------------------------------------------------------
// Results and problems

export type ProblemCode =
  | 'invalid-table'
  | 'invalid-input'
  | 'invalid-override'
  | 'unknown-gpu'
  | 'unknown-cpu'
  | 'unknown-location'
  | 'unknown-model'
  | 'unknown-dataset'
  | 'missing-data';

/** What went wrong, naming the thing that is wrong (table and row, input key, name) and what to do. */
export interface CarbonProblem {
  code: ProblemCode;
  message: string;
  /** Key path of the offending value, e.g. `hardware.gpu` or `shared/data/gpus.json rows[3].tdpW`. */
  path?: string;
  suggestions?: string[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; problems: CarbonProblem[] };

// ---------------------------------------------------------------------------------------------
// Run input

const positive = z.number().positive();

export const RunInputSchema = z
  .strictObject({
    /** Free text shown in the one-line summary instead of the derived label. */
    label: z.string().min(1).optional(),
    hardware: z.strictObject({
      /** Accelerator name as the user, a config file or nvidia-smi writes it. */
      gpu: z.string().min(1),
      count: z.number().int().positive().default(1),
      /** Average board power per accelerator in W; replaces TDP × utilisation when given. */
      powerW: positive.optional(),
      /** Average board power as a fraction of TDP. */
      utilisation: z.number().gt(0).max(1).optional(),
      cpu: z
        .strictObject({
          model: z.string().min(1).optional(),
          /** Total CPU sockets of the run; 0 leaves the host CPUs out. */
          sockets: z.number().int().min(0).optional(),
          /** Power per socket in W. */
          powerW: z.number().min(0).optional(),
          utilisation: z.number().min(0).max(1).optional(),
        })
        .optional(),
      /** Total host memory of the run in GB; 0 leaves it out. */
      ramGB: z.number().min(0).optional(),
    }),
    duration: z
      .union([z.strictObject({ wallHours: positive }), z.strictObject({ deviceHours: positive })], {
        error: 'expected {wallHours} or {deviceHours}, a positive number of hours',
      })
      .optional(),
    compute: z
      .union(
        [
          z.strictObject({ flops: positive }),
          z.strictObject({ parameters: positive, tokens: positive }),
          z.strictObject({ model: z.string().min(1), samples: positive, epochs: positive.default(1) }),
        ],
        { error: 'expected {flops}, {parameters, tokens} or {model, samples, epochs}' },
      )
      .optional(),
    /** Training precision; fp32 (PyTorch's default dtype) when not given. */
    precision: z.enum(PRECISIONS).optional(),
    /** Model FLOPs utilisation; replaces the table default and its range. */
    mfu: z.number().gt(0).max(1).optional(),
    location: z
      .strictObject({
        country: z.string().min(1).optional(),
        cloudRegion: z.strictObject({ provider: z.string().min(1), region: z.string().min(1) }).optional(),
        /** Grid intensity to use instead of the table, e.g. from a supplier contract or a live API. */
        gCO2ePerKWh: z.number().min(0).optional(),
      })
      .optional(),
    pue: z.number().min(1).optional(),
    /** On-site water usage effectiveness, L per kWh of IT energy. */
    wue: z.number().min(0).optional(),
    /** Off-site energy water intensity factor, L per kWh of facility energy. */
    ewif: z.number().min(0).optional(),
    /** Include embodied (manufacturing) carbon; on by default. */
    includeEmbodied: z.boolean().default(true),
  })
  .refine((input) => input.duration !== undefined || input.compute !== undefined, {
    error: 'give duration ({wallHours} or {deviceHours}) or compute ({flops}, {parameters, tokens} or {model, samples, epochs})',
    path: ['duration'],
  });
/** What callers pass (defaults not yet applied). */
export type RunInput = z.input<typeof RunInputSchema>;
export type ParsedRunInput = z.output<typeof RunInputSchema>;

// ---------------------------------------------------------------------------------------------
// Overrides (user settings)

const rangeOverride = z.union([
  z.number().min(0),
  z
    .strictObject({ value: z.number().min(0), low: z.number().min(0), high: z.number().min(0) })
    .refine((r) => r.low <= r.value && r.value <= r.high, 'expected low ≤ value ≤ high'),
]);

export const GpuOverrideSchema = z.strictObject({
  /** An existing id or alias (the row is patched) or a new id (the row is added; give tdpW and peakTflops). */
  id: z.string().min(1),
  name: z.string().min(1).optional(),
  vendor: z.string().min(1).optional(),
  generation: z.string().min(1).optional(),
  class: z.enum(DEVICE_CLASSES).optional(),
  memoryGB: z.number().positive().optional(),
  tdpW: z.number().positive().optional(),
  peakTflops: PeakTflopsSchema.optional(),
  aliases: aliases.optional(),
  embodiedKgCO2e: z.number().positive().optional(),
});

export const OverridesSchema = z.strictObject({
  gpus: z.array(GpuOverrideSchema).optional(),
  cpus: z
    .array(z.strictObject({ id: z.string().min(1), name: z.string().optional(), tdpW: z.number().positive(), cores: z.number().int().positive().optional(), aliases: aliases.optional() }))
    .optional(),
  /** Grid intensity (gCO2e/kWh) by country code or name, e.g. {"FR": 30}; new codes are added. */
  countries: z.record(z.string().min(1), z.number().min(0)).optional(),
  /** Grid intensity (gCO2e/kWh) by "provider:region", e.g. {"aws:us-east-1": 350}; new regions are added. */
  cloudRegions: z.record(z.string().regex(/^[^:]+:.+$/, 'expected "provider:region"'), z.number().min(0)).optional(),
  /** PUE and/or WUE per provider, e.g. {"aws": {"pue": 1.2}}. */
  providers: z.record(z.string().min(1), z.strictObject({ pue: z.number().min(1).optional(), wue: z.number().min(0).optional() })).optional(),
  /** Any model default by key, e.g. {"pueDatacenter": 1.3, "gpuUtilisation": {"value": 0.7, "low": 0.5, "high": 0.9}}. */
  defaults: z.partialRecord(z.enum(DEFAULT_KEYS), rangeOverride).optional(),
  /** MFU by precision (all generations), e.g. {"bf16": 0.45}. */
  mfu: z.partialRecord(z.enum(PRECISIONS), rangeOverride).optional(),
});
export type Overrides = z.input<typeof OverridesSchema>;

// ---------------------------------------------------------------------------------------------
// Estimate (serialised result)

export const ESTIMATE_SCHEMA_VERSION = 1;

export const RangeSchema = z
  .strictObject({ value: z.number(), low: z.number(), high: z.number() })
  .refine((r) => r.low <= r.value && r.value <= r.high, 'expected low ≤ value ≤ high');
export type Range = z.infer<typeof RangeSchema>;

export const AssumptionSchema = z.strictObject({
  name: z.string().min(1),
  value: z.union([z.number(), z.string()]),
  unit: z.string().optional(),
  low: z.number().optional(),
  high: z.number().optional(),
  source: z.strictObject({ title: z.string().min(1), url: z.string().optional() }),
  year: z.number().int().nullable(),
  note: z.string().optional(),
});
export type Assumption = z.infer<typeof AssumptionSchema>;

export const EstimateSchema = z.strictObject({
  schemaVersion: z.literal(ESTIMATE_SCHEMA_VERSION),
  kind: z.literal('green-ai.carbon-estimate'),
  /** Short description of the run, e.g. `8×A100 SXM4, us-east-1`. */
  label: z.string(),
  hardware: z.strictObject({ gpuId: z.string(), gpuName: z.string(), count: z.number().int().positive(), precision: z.enum(PRECISIONS) }),
  location: z.strictObject({ kind: z.enum(['cloud-region', 'country', 'world', 'given']), key: z.string(), label: z.string() }),
  hours: z.strictObject({ wall: RangeSchema, device: RangeSchema }),
  /** Facility energy (IT energy × PUE), kWh. */
  energyKWh: RangeSchema,
  energyBreakdownKWh: z.strictObject({ gpu: RangeSchema, cpu: RangeSchema, ram: RangeSchema, it: RangeSchema }),
  co2eKg: z.strictObject({ operational: RangeSchema, embodied: RangeSchema, total: RangeSchema }),
  waterL: z.strictObject({ onsite: RangeSchema, offsite: RangeSchema, total: RangeSchema }),
  assumptions: z.array(AssumptionSchema),
  /** Things the user should know: ambiguous names resolved to a default, fallbacks, approximate rows. */
  warnings: z.array(z.string()),
});
export type Estimate = z.infer<typeof EstimateSchema>;

export const SavingsSchema = z.strictObject({
  schemaVersion: z.literal(ESTIMATE_SCHEMA_VERSION),
  kind: z.literal('green-ai.carbon-savings'),
  before: z.string(),
  after: z.string(),
  energyKWh: RangeSchema,
  co2eKg: RangeSchema,
  waterL: RangeSchema,
  hours: RangeSchema,
  /** Share of the "before" value saved (value only; negative when "after" costs more). */
  fraction: z.strictObject({ energy: z.number(), co2e: z.number(), water: z.number() }),
});
export type Savings = z.infer<typeof SavingsSchema>;
