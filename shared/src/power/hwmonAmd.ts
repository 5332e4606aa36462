/**
 * AMD GPUs through the amdgpu driver's hwmon files: `<drm>/card<N>/device/hwmon/hwmon<M>/power1_average` (µW; newer
 * kernels name it power1_input), trapezoid-integrated. World-readable, no child process. The DRM root is an option so
 * tests use a fake tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TrapezoidIntegrator } from './integrate';
import { errorText, type PowerSource, type Probe } from './source';
import type { ComponentReading } from './types';

export const DEFAULT_DRM_ROOT = '/sys/class/drm';

interface AmdGpu {
  card: string;
  id: string;
  name: string;
  powerFile: string;
  energy: TrapezoidIntegrator;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function findAmdGpus(drmRoot: string): { card: string; id: string; name: string; powerFile: string }[] {
  const found: { card: string; id: string; name: string; powerFile: string }[] = [];
  for (const card of readdirSync(drmRoot).filter((entry) => /^card\d+$/.test(entry)).sort()) {
    const device = path.join(drmRoot, card, 'device');
    let hwmons: string[];
    try {
      hwmons = readdirSync(path.join(device, 'hwmon')).sort();
    } catch {
      continue;
    }
    for (const hwmon of hwmons) {
      const dir = path.join(device, 'hwmon', hwmon);
      if (read(path.join(dir, 'name')) !== 'amdgpu') continue;
      const powerFile = ['power1_average', 'power1_input'].map((file) => path.join(dir, file)).find((file) => read(file) !== undefined);
      if (!powerFile) continue;
      const uniqueId = read(path.join(device, 'unique_id'));
      const product = read(path.join(device, 'product_name'));
      found.push({ card, id: `gpu:amd-${uniqueId ?? card}`, name: `${product || 'AMD GPU'} (${card})`, powerFile });
      break;
    }
  }
  return found;
}

export function probeAmdHwmon(drmRoot: string, periodMs: number): Probe {
  let gpus;
  try {
    gpus = findAmdGpus(drmRoot);
  } catch (error) {
    return { ok: false, reason: `AMD GPU: no DRM tree at ${drmRoot} (${errorText(error)})` };
  }
  if (gpus.length === 0) return { ok: false, reason: 'AMD GPU: no amdgpu hwmon power file' };
  return { ok: true, source: new AmdHwmonSource(gpus.map((gpu) => ({ ...gpu, energy: new TrapezoidIntegrator(periodMs) }))) };
}

class AmdHwmonSource implements PowerSource {
  readonly label = 'amdgpu hwmon';
  constructor(private readonly gpus: AmdGpu[]) {}

  covers(): ReadonlySet<'gpu'> {
    return new Set(['gpu'] as const);
  }

  describe(): string[] {
    return this.gpus.map((gpu) => `GPU ${gpu.name}: amdgpu hwmon ${path.basename(gpu.powerFile)} (${gpu.powerFile})`);
  }

  read(monotonicMs: number): ComponentReading[] {
    return this.gpus.map((gpu) => {
      const text = read(gpu.powerFile);
      const microwatts = text === undefined ? NaN : Number(text);
      const watts = Number.isFinite(microwatts) ? microwatts / 1e6 : null;
      gpu.energy.add(watts, monotonicMs);
      const reading: ComponentReading = {
        id: gpu.id,
        kind: 'gpu',
        name: gpu.name,
        method: 'amd-hwmon',
        source: `amdgpu hwmon ${path.basename(gpu.powerFile)}`,
        watts,
        energyJ: gpu.energy.energyJ,
        coverage: gpu.energy.fraction(monotonicMs),
      };
      if (watts === null) reading.warnings = [`${gpu.powerFile} could not be read`];
      return reading;
    });
  }

  async stop(): Promise<void> {}
}
