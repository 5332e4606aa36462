/**
 * The measurement layer's public shapes, shared by the power sampler (shared/src/power/), the CLI (`green-ai power`,
 * `green-ai run`), the client's power panel and status bar, and the profiled-run recorder. Every reading says how it
 * was obtained, so that a number on screen can always be traced to its source.
 */

/** Which part of the machine a reading belongs to. */
export type ComponentKind = 'gpu' | 'cpu' | 'ram';

/** How a reading was obtained, best first. `estimated` readings come from a model (load × TDP, per-GB), not a meter. */
export type MeasurementMethod =
  | 'nvml-energy-counter' // NVML cumulative energy (mJ), differences integrated exactly
  | 'nvml-power' // NVML instantaneous power, trapezoid-integrated
  | 'nvidia-smi' // one long-lived `nvidia-smi --query-gpu … -lms N` child, trapezoid-integrated
  | 'amd-hwmon' // hwmon power1_average
  | 'rapl' // powercap energy_uj counter, differences integrated with wrap-around correction
  | 'estimated'; // model-based (CPU load × TDP, RAM per GB)

/** One component's state at one sample. */
export interface ComponentReading {
  /** Stable key: `gpu:<UUID>`, `cpu:package-0`, `ram:dram-0`, `cpu:estimated`, `ram:estimated`. */
  id: string;
  kind: ComponentKind;
  /** Human label: "NVIDIA A100-SXM4-80GB (GPU 0)", "RAPL package-0", "CPU (estimated)". */
  name: string;
  method: MeasurementMethod;
  /** Human description of the source, shown next to the number: "nvidia-smi power.draw.average, 500 ms", "RAPL package-0", "estimated from load × TDP (225 W)". */
  source: string;
  /** Watts over the last interval; null when the source reported nothing usable ([N/A], [Not Supported], unreadable). */
  watts: number | null;
  /** Joules integrated for this component since the sampler started. */
  energyJ: number;
  /** GPU only. */
  utilizationPercent?: number | null;
  memoryUsedMiB?: number | null;
  memoryTotalMiB?: number | null;
  powerLimitW?: number | null;
  /** GPU in MIG mode: the reading is board power shared by all instances. */
  shared?: boolean;
  /** Caveats for this reading ("energy_uj not readable: run `sudo chmod o+r …`", "nvidia-smi restarted after exit 1"). */
  warnings?: string[];
  /** Share of this component's elapsed time covered by readings (gaps longer than three periods lower it); 0..1. */
  coverage?: number;
}

/** One sample of the whole machine. */
export interface PowerSample {
  /** Wall-clock time of the sample, ms since the epoch (for display and files). */
  timestampMs: number;
  /** Monotonic time (performance.now()-style ms) used for integration; never goes backwards. */
  monotonicMs: number;
  components: ComponentReading[];
  /** Sum of the non-null component watts. */
  totalWatts: number;
  /** Sum of component energies since start, joules. */
  totalEnergyJ: number;
  /** Share of the elapsed time covered by samples (gaps longer than three periods reduce it); 0..1. */
  coverage: number;
}

export interface PowerSamplerOptions {
  /** Sampling period in ms (default 1000). */
  intervalMs?: number;
  /** The `nvidia-smi` binary (default: "nvidia-smi" looked up on PATH). */
  nvidiaSmiPath?: string;
  /** The NVML library to try first (default: platform name, e.g. libnvidia-ml.so.1); null disables NVML. */
  nvmlLibraryPath?: string | null;
  /** Root of the powercap tree (default /sys/class/powercap). */
  powercapRoot?: string;
  /** Environment used for CUDA_VISIBLE_DEVICES (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Root of the DRM class tree searched for amdgpu hwmon power (default /sys/class/drm); null disables AMD GPUs. */
  drmRoot?: string | null;
  /** CPU list for the load estimate (default os.cpus); tests give scripted times. */
  cpuInfo?: () => { model: string; times: { user: number; nice: number; sys: number; idle: number; irq: number } }[];
  /** Installed memory in bytes for the RAM estimate (default os.totalmem()). */
  totalMemoryBytes?: number;
  /** Restart delays for a dying nvidia-smi, ms (default 1 s doubling to 30 s). */
  nvidiaSmiBackoffMs?: { initial: number; max: number };
}

export interface PowerSampler {
  /** Starts the sources (probing each once); resolves when the first sample can be taken. */
  start(): Promise<void>;
  /** Stops every child process and timer. Idempotent. */
  stop(): Promise<void>;
  /** Called on every sample; returns an unsubscribe function. */
  onSample(listener: (sample: PowerSample) => void): () => void;
  /** The latest sample, if any. */
  latest(): PowerSample | undefined;
  /** Human lines describing which source each component uses and why others were skipped. */
  describeSources(): string[];
}
