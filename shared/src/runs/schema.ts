/**
 * The on-disk format of a profiled run (`green-ai run`), shared by the recorder, the finaliser, `green-ai report`
 * and the client's Runs view: `run.partial.json` (written at launch, enough to finalise alone), `samples.jsonl`
 * (one sample per line, appended as taken) and `run.json` (written atomically at the end). Every file read back
 * from disk goes through these schemas; a version bump is the only way to change a field's meaning.
 */
import { z } from 'zod';

export const RUN_SCHEMA_VERSION = 1 as const;

export const RUN_STATUSES = ['completed', 'failed', 'interrupted', 'incomplete'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** File names inside one run folder. */
export const RUN_FILES = {
  record: 'run.json',
  partial: 'run.partial.json',
  samples: 'samples.jsonl',
} as const;

const MeasurementMethodSchema = z.enum(['nvml-energy-counter', 'nvml-power', 'nvidia-smi', 'amd-hwmon', 'rapl', 'estimated']);
const ComponentKindSchema = z.enum(['gpu', 'cpu', 'ram']);
const nonNegative = z.number().nonnegative();

/** Provenance of a table value, as the carbon tables carry it (user-given values have no URL or year). */
export const RunSourceSchema = z.strictObject({
  title: z.string().min(1),
  url: z.string().optional(),
  year: z.number().int().nullable(),
});
export type RunSource = z.infer<typeof RunSourceSchema>;

export const HostSchema = z.strictObject({
  hostname: z.string(),
  platform: z.string(),
  arch: z.string(),
  /** `os.release()` of the kernel. */
  osRelease: z.string(),
  nodeVersion: z.string(),
  greenAiVersion: z.string(),
});
export type HostInfo = z.infer<typeof HostSchema>;

export const GpuHardwareSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  uuid: z.string().optional(),
  powerLimitW: z.number().nullable().optional(),
  memoryTotalMiB: z.number().nullable().optional(),
});

export const HardwareSchema = z.strictObject({
  gpus: z.array(GpuHardwareSchema),
  cpuModel: z.string(),
  cpuCount: z.number().int().nonnegative(),
  ramTotalGB: nonNegative,
});
export type Hardware = z.infer<typeof HardwareSchema>;

/**
 * Written at launch, before the first sample: everything `report --finalize` needs besides the samples.
 * Fields the recorder learns later (exit code, end time) are absent by design.
 */
export const RunHeaderSchema = z.strictObject({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  id: z.string().min(1),
  label: z.string().optional(),
  command: z.array(z.string()).min(1),
  cwd: z.string(),
  gitCommit: z.string().optional(),
  /** When the runner started (before the idle baseline). */
  startedAt: z.iso.datetime(),
  /** When the job was spawned (after the baseline); absent while the baseline is being measured. */
  launchedAt: z.iso.datetime().optional(),
  host: HostSchema,
  hardware: HardwareSchema,
  intervalMs: z.number().positive(),
  baselineS: nonNegative,
  /** The `--location` given (or the default), resolved at finalisation against the carbon tables. */
  location: z.string(),
  pue: z.number().positive().optional(),
  estimateKWh: nonNegative.optional(),
  estimateSource: z.string().optional(),
  /** What the sampler said about its sources at start (`describeSources()`). */
  sources: z.array(z.string()),
  /** PID of the runner and of the job, so a later reader can tell whether the run may still be going. */
  runnerPid: z.number().int().optional(),
  jobPid: z.number().int().optional(),
});
export type RunHeader = z.infer<typeof RunHeaderSchema>;

/** One component reading as stored in samples.jsonl (a PowerSample's ComponentReading). */
export const SampleComponentSchema = z.object({
  id: z.string(),
  kind: ComponentKindSchema,
  name: z.string(),
  method: MeasurementMethodSchema,
  source: z.string(),
  watts: z.number().nullable(),
  energyJ: z.number(),
  utilizationPercent: z.number().nullable().optional(),
  memoryUsedMiB: z.number().nullable().optional(),
  memoryTotalMiB: z.number().nullable().optional(),
  powerLimitW: z.number().nullable().optional(),
  shared: z.boolean().optional(),
  warnings: z.array(z.string()).optional(),
});

/** The job's share of one GPU at a sample, from `nvidia-smi --query-compute-apps=pid,used_memory`. */
export const GpuShareSchema = z.strictObject({
  /** MiB used by processes of the job's tree. */
  jobMiB: nonNegative,
  /** MiB used by every compute process on the device. */
  allMiB: nonNegative,
  /** Whether processes outside the job's tree used the device. */
  foreign: z.boolean(),
});
export type GpuShare = z.infer<typeof GpuShareSchema>;

/** One line of samples.jsonl. */
export const SampleLineSchema = z.object({
  /** `baseline` samples are taken before launch, with the job not yet running. */
  phase: z.enum(['baseline', 'run']),
  timestampMs: z.number(),
  monotonicMs: z.number(),
  components: z.array(SampleComponentSchema),
  totalWatts: z.number(),
  totalEnergyJ: z.number(),
  coverage: z.number(),
  /** By GPU UUID (the part after `gpu:` in the component id). Absent when the per-process query is unavailable. */
  gpuShares: z.record(z.string(), GpuShareSchema).optional(),
  /** Why no share was recorded (the per-process query failed). */
  gpuShareProblem: z.string().optional(),
});
export type SampleLine = z.infer<typeof SampleLineSchema>;

export const ComponentSummarySchema = z.strictObject({
  id: z.string(),
  kind: ComponentKindSchema,
  name: z.string(),
  method: MeasurementMethodSchema,
  source: z.string(),
  /** Energy attributed to the job over the run phase, joules (after the GPU process share, if any). */
  energyJ: nonNegative,
  /** Energy of the whole component over the run phase, joules (equals energyJ unless attributed). */
  deviceEnergyJ: nonNegative,
  averageW: nonNegative.nullable(),
  peakW: nonNegative.nullable(),
  samples: z.number().int().nonnegative(),
  /** Share of the run's duration covered by samples with a reading for this component, 0..1. */
  coverage: z.number().min(0).max(1),
  /** `process-tree`: GPU energy × the job's share of used GPU memory; `whole-device`: the component's whole energy. */
  attribution: z.enum(['whole-device', 'process-tree']),
  /** Idle power of this component measured before launch, W; null without a baseline. */
  idleW: nonNegative.nullable(),
  warnings: z.array(z.string()),
});
export type ComponentSummary = z.infer<typeof ComponentSummarySchema>;

export const BaselineSchema = z.strictObject({
  durationS: nonNegative,
  samples: z.number().int().nonnegative(),
  /** Sum of the components' idle power, W. */
  idleW: nonNegative,
  /** Σ component idle power × run duration × the job's share of that component, joules: drawn anyway. */
  idleEnergyJ: nonNegative,
  /** Σ per component of attributed energy minus its idle energy, each floored at 0, joules. */
  aboveIdleEnergyJ: nonNegative,
});

export const RunRecordSchema = z.strictObject({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  id: z.string().min(1),
  label: z.string().optional(),
  command: z.array(z.string()).min(1),
  cwd: z.string(),
  gitCommit: z.string().optional(),
  /** When the job was spawned (the baseline is measured before). */
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  durationS: nonNegative,
  /** Null when the job died of a signal or its end was not observed. */
  exitCode: z.number().int().nullable(),
  signal: z.string().optional(),
  status: z.enum(RUN_STATUSES),
  host: HostSchema,
  hardware: HardwareSchema,
  intervalMs: z.number().positive(),
  sources: z.array(z.string()),
  components: z.array(ComponentSummarySchema),
  energy: z.strictObject({
    /** Attributed IT energy of the job, all components, joules and kWh. */
    energyJ: nonNegative,
    energyKWh: nonNegative,
    averageW: nonNegative.nullable(),
    peakW: nonNegative.nullable(),
    samples: z.number().int().nonnegative(),
    coverage: z.number().min(0).max(1),
  }),
  baseline: BaselineSchema.nullable(),
  location: z.strictObject({ query: z.string(), key: z.string(), label: z.string(), kind: z.string() }),
  intensity: z.strictObject({ gCO2ePerKWh: nonNegative, source: RunSourceSchema }),
  pue: z.strictObject({ value: z.number().positive(), source: RunSourceSchema }),
  /** Facility energy (IT energy × PUE), kWh: what CO2e and off-site water are computed from. */
  facilityEnergyKWh: nonNegative,
  co2eKg: nonNegative,
  water: z.strictObject({
    liters: nonNegative,
    wueLPerKWh: nonNegative,
    ewifLPerKWh: nonNegative,
    sources: z.array(RunSourceSchema),
  }),
  /**
   * The accelerators' embodied carbon (manufacturing, amortised over their lifespan) for the run's wall time, by the
   * carbon model's formula and tables; not part of `co2eKg`, which stays the operational figure CodeCarbon reports.
   * Absent in records written before it existed; `co2eKg: null` with the reason where it cannot be computed.
   */
  embodied: z
    .union([
      z.strictObject({
        co2eKg: nonNegative,
        basis: z.string(),
        warnings: z.array(z.string()),
        /** Each table value used (`Hardware lifespan (6 years)`) with its source. */
        sources: z.array(z.strictObject({ what: z.string(), source: RunSourceSchema })),
      }),
      z.strictObject({ co2eKg: z.null(), reason: z.string() }),
    ])
    .optional(),
  estimate: z
    .strictObject({
      energyKWh: nonNegative,
      /** `--estimate-kwh` or `green-ai estimate FILE`. */
      source: z.string(),
      /** (measured − estimate) / estimate × 100, on facility energy; null when the estimate is 0. */
      differencePercent: z.number().nullable(),
    })
    .optional(),
  warnings: z.array(z.string()),
  /** When run.json was written, and by whom (`recorder` at the end of the run, `finalize` afterwards). */
  finalizedAt: z.iso.datetime(),
  finalizedBy: z.enum(['recorder', 'finalize']),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** One row of the Runs view / a report's per-run table: cheap to compute, never throws. */
export interface RunSummary {
  /** Absolute path of the run folder. */
  dir: string;
  id: string;
  label?: string;
  command: string[];
  startedAt?: string;
  durationS?: number;
  status: RunStatus | 'running' | 'unreadable';
  exitCode?: number | null;
  energyKWh?: number;
  co2eKg?: number;
  /** True when run.json exists; false when the figures come from finalising the samples in memory. */
  finalized: boolean;
  /** Why the folder could not be read (unreadable status), naming the file and key. */
  problem?: string;
}

/** Formats a zod error as "file: key: message" lines. */
export function describeZodError(file: string, error: z.ZodError): string {
  return error.issues.map((issue) => `${file}: ${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}
