/**
 * The contract between the sampler and each power source module (nvml, nvidiaSmi, rapl, hwmonAmd, cpuEstimate).
 * Internal: sources are probed once, read on every tick, and stopped once; the sampler turns any exception into a
 * warning so a failing source never escapes a timer.
 */
import type { ComponentReading } from './types';

export interface PowerSource {
  /** Short name for messages ("NVML", "nvidia-smi", "RAPL"). */
  readonly label: string;
  /** One line per component, saying where its numbers come from. */
  describe(): string[];
  /** The readings at `monotonicMs`; energies are cumulative since the source started. */
  read(monotonicMs: number): ComponentReading[];
  /** Components this source covers ('cpu', 'ram', 'gpu'), so the sampler knows what needs an estimate. */
  covers(): ReadonlySet<ComponentReading['kind']>;
  stop(): Promise<void>;
}

/** Outcome of probing a source: the running source, or why it is not used. */
export type Probe = { ok: true; source: PowerSource; notes?: string[] } | { ok: false; reason: string };

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
