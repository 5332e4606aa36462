/**
 * NVIDIA GPUs through NVML, called in-process with koffi (no child process): the cumulative energy counter
 * (nvmlDeviceGetTotalEnergyConsumption, mJ, Volta and later) differenced exactly, else instantaneous power
 * (nvmlDeviceGetPowerUsage, mW) trapezoid-integrated. koffi is required lazily inside a try/catch so that the bundles
 * load where it (or its native build for this platform) is absent; the library path is an option so tests load a
 * fake libnvidia-ml compiled from test/fixtures/power/fake-nvml.c. The first choice for NVIDIA GPUs; nvidiaSmi.ts is
 * the fallback.
 */
import path from 'node:path';
import type * as KoffiModule from 'koffi';
import { parseCudaVisibleDevices, visibleGpus } from './cudaVisible';
import { CounterIntegrator, TrapezoidIntegrator } from './integrate';
import { errorText, type PowerSource, type Probe } from './source';
import type { ComponentReading } from './types';

type Koffi = typeof KoffiModule;

export function defaultNvmlLibrary(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'nvml.dll' : 'libnvidia-ml.so.1';
}

/** koffi, or why it cannot be used. Runtime require: koffi is external to the bundles and optional at run time. */
export function loadKoffi(): Koffi | string {
  let firstError: unknown;
  // From node_modules in a checkout and in tests; from the copy next to the bundle (dist/koffi, see esbuild.mjs) in
  // the .vsix, which carries no node_modules.
  for (const id of ['koffi', path.join(__dirname, 'koffi', 'index.cjs')]) {
    try {
      return require(id) as Koffi;
    } catch (error) {
      firstError ??= error;
    }
  }
  return `koffi could not be loaded (${errorText(firstError).split('\n')[0]})`;
}

const NVML_SUCCESS = 0;
const NVML_ERROR_NOT_SUPPORTED = 3;

interface NvmlFunctions {
  init: () => number;
  shutdown: () => number;
  count: (out: number[]) => number;
  handle: (index: number, out: unknown[]) => number;
  uuid: (device: unknown, buffer: Buffer, length: number) => number;
  name: (device: unknown, buffer: Buffer, length: number) => number;
  energy: (device: unknown, out: (number | bigint)[]) => number;
  power: (device: unknown, out: number[]) => number;
  utilization: (device: unknown, out: ({ gpu: number; memory: number } | null)[]) => number;
  memory: (device: unknown, out: ({ total: number | bigint; free: number | bigint; used: number | bigint } | null)[]) => number;
  powerLimit: (device: unknown, out: number[]) => number;
  migMode: (device: unknown, current: number[], pending: number[]) => number;
}

/** koffi type names are global to the process: declared once, whatever library is loaded later. */
let declared = false;
function declareTypes(koffi: Koffi): void {
  if (declared) return;
  koffi.pointer('greenai_nvmlDevice_t', koffi.opaque());
  koffi.struct('greenai_nvmlUtilization_t', { gpu: 'unsigned int', memory: 'unsigned int' });
  koffi.struct('greenai_nvmlMemory_t', { total: 'unsigned long long', free: 'unsigned long long', used: 'unsigned long long' });
  declared = true;
}

function bind(koffi: Koffi, libraryPath: string): NvmlFunctions {
  declareTypes(koffi);
  const lib = koffi.load(libraryPath);
  const D = 'greenai_nvmlDevice_t';
  return {
    init: lib.func('int nvmlInit_v2()') as NvmlFunctions['init'],
    shutdown: lib.func('int nvmlShutdown()') as NvmlFunctions['shutdown'],
    count: lib.func('int nvmlDeviceGetCount_v2(_Out_ unsigned int *count)') as NvmlFunctions['count'],
    handle: lib.func(`int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ ${D} *device)`) as NvmlFunctions['handle'],
    uuid: lib.func(`int nvmlDeviceGetUUID(${D} device, _Out_ uint8_t *uuid, unsigned int length)`) as NvmlFunctions['uuid'],
    name: lib.func(`int nvmlDeviceGetName(${D} device, _Out_ uint8_t *name, unsigned int length)`) as NvmlFunctions['name'],
    energy: lib.func(`int nvmlDeviceGetTotalEnergyConsumption(${D} device, _Out_ unsigned long long *energy)`) as NvmlFunctions['energy'],
    power: lib.func(`int nvmlDeviceGetPowerUsage(${D} device, _Out_ unsigned int *power)`) as NvmlFunctions['power'],
    utilization: lib.func(`int nvmlDeviceGetUtilizationRates(${D} device, _Out_ greenai_nvmlUtilization_t *utilization)`) as NvmlFunctions['utilization'],
    memory: lib.func(`int nvmlDeviceGetMemoryInfo(${D} device, _Out_ greenai_nvmlMemory_t *memory)`) as NvmlFunctions['memory'],
    powerLimit: lib.func(`int nvmlDeviceGetEnforcedPowerLimit(${D} device, _Out_ unsigned int *limit)`) as NvmlFunctions['powerLimit'],
    migMode: lib.func(`int nvmlDeviceGetMigMode(${D} device, _Out_ unsigned int *current, _Out_ unsigned int *pending)`) as NvmlFunctions['migMode'],
  };
}

function cString(buffer: Buffer): string {
  const end = buffer.indexOf(0);
  return buffer.toString('utf8', 0, end < 0 ? buffer.length : end);
}

interface Device {
  handle: unknown;
  index: number;
  uuid: string;
  name: string;
  migEnabled: boolean;
  counter: boolean;
  energy: CounterIntegrator | TrapezoidIntegrator;
}

export async function probeNvml(libraryPath: string, periodMs: number, env: NodeJS.ProcessEnv, monotonicMs: number): Promise<Probe> {
  const koffi = loadKoffi();
  if (typeof koffi === 'string') return { ok: false, reason: `NVML: ${koffi}` };
  let nvml: NvmlFunctions;
  try {
    nvml = bind(koffi, libraryPath);
  } catch (error) {
    return { ok: false, reason: `NVML: ${libraryPath} not loaded (${errorText(error).split('\n')[0]})` };
  }
  const status = nvml.init();
  if (status !== NVML_SUCCESS) return { ok: false, reason: `NVML: nvmlInit_v2 returned ${status}` };
  try {
    const count = [0];
    const countStatus = nvml.count(count);
    if (countStatus !== NVML_SUCCESS) throw new Error(`nvmlDeviceGetCount_v2 returned ${countStatus}`);
    const all: Device[] = [];
    for (let index = 0; index < (count[0] ?? 0); index++) {
      const out: unknown[] = [null];
      if (nvml.handle(index, out) !== NVML_SUCCESS) continue;
      const handle = out[0];
      const uuidBuffer = Buffer.alloc(96);
      const nameBuffer = Buffer.alloc(96);
      const uuid = nvml.uuid(handle, uuidBuffer, uuidBuffer.length) === NVML_SUCCESS ? cString(uuidBuffer) : `GPU-index-${index}`;
      const name = nvml.name(handle, nameBuffer, nameBuffer.length) === NVML_SUCCESS ? cString(nameBuffer) : `GPU ${index}`;
      const mig = [0];
      const pending = [0];
      const migEnabled = nvml.migMode(handle, mig, pending) === NVML_SUCCESS && mig[0] === 1;
      const energy: (number | bigint)[] = [0];
      const counter = nvml.energy(handle, energy) === NVML_SUCCESS;
      const integrator = counter ? new CounterIntegrator(1e-3, periodMs) : new TrapezoidIntegrator(periodMs);
      if (integrator instanceof CounterIntegrator) integrator.add(Number(energy[0]), monotonicMs);
      else {
        // A first power point at start, so the first interval has both trapezoid sides.
        const power = [0];
        if (nvml.power(handle, power) === NVML_SUCCESS) integrator.add((power[0] ?? 0) / 1000, monotonicMs);
      }
      all.push({ handle, index, uuid, name, migEnabled, counter, energy: integrator });
    }
    const chosen = visibleGpus(all, parseCudaVisibleDevices(env.CUDA_VISIBLE_DEVICES));
    if (chosen.gpus.length === 0) {
      nvml.shutdown();
      return { ok: false, reason: all.length === 0 ? 'NVML: no GPU' : `NVML: no visible GPU (CUDA_VISIBLE_DEVICES=${JSON.stringify(env.CUDA_VISIBLE_DEVICES ?? '')})` };
    }
    return { ok: true, source: new NvmlSource(nvml, chosen.gpus, libraryPath), notes: chosen.notes };
  } catch (error) {
    nvml.shutdown();
    return { ok: false, reason: `NVML: ${errorText(error)}` };
  }
}

class NvmlSource implements PowerSource {
  readonly label = 'NVML';
  private stopped = false;

  constructor(
    private readonly nvml: NvmlFunctions,
    private readonly devices: Device[],
    private readonly libraryPath: string,
  ) {}

  covers(): ReadonlySet<'gpu'> {
    return new Set(['gpu'] as const);
  }

  describe(): string[] {
    return this.devices.map(
      (device) =>
        `GPU ${device.index} ${device.name} (${device.uuid}): NVML ${device.counter ? 'energy counter' : 'power usage'} (${this.libraryPath})${device.migEnabled ? '; MIG mode: board power, shared' : ''}`,
    );
  }

  read(monotonicMs: number): ComponentReading[] {
    if (this.stopped) return [];
    return this.devices.map((device) => {
      const warnings: string[] = [];
      let watts: number | null = null;
      if (device.energy instanceof CounterIntegrator) {
        const out: (number | bigint)[] = [0];
        const status = this.nvml.energy(device.handle, out);
        if (status === NVML_SUCCESS) {
          device.energy.add(Number(out[0]), monotonicMs);
          watts = device.energy.lastWatts;
        } else warnings.push(`nvmlDeviceGetTotalEnergyConsumption returned ${status}`);
      } else {
        const out = [0];
        const status = this.nvml.power(device.handle, out);
        if (status === NVML_SUCCESS) watts = (out[0] ?? 0) / 1000;
        else if (status !== NVML_ERROR_NOT_SUPPORTED) warnings.push(`nvmlDeviceGetPowerUsage returned ${status}`);
        else warnings.push('power usage not supported on this GPU');
        device.energy.add(watts, monotonicMs);
      }
      const utilization: ({ gpu: number; memory: number } | null)[] = [null];
      const memory: ({ total: number | bigint; free: number | bigint; used: number | bigint } | null)[] = [null];
      const limit = [0];
      const util = this.nvml.utilization(device.handle, utilization) === NVML_SUCCESS ? (utilization[0]?.gpu ?? null) : null;
      const mem = this.nvml.memory(device.handle, memory) === NVML_SUCCESS ? memory[0] : null;
      const limitW = this.nvml.powerLimit(device.handle, limit) === NVML_SUCCESS ? (limit[0] ?? 0) / 1000 : null;
      const reading: ComponentReading = {
        id: `gpu:${device.uuid}`,
        kind: 'gpu',
        name: `${device.name.startsWith('NVIDIA') ? device.name : `NVIDIA ${device.name}`} (GPU ${device.index})`,
        method: device.counter ? 'nvml-energy-counter' : 'nvml-power',
        source: `NVML ${device.counter ? 'energy counter' : 'power usage'}${device.migEnabled ? ' (board power, shared)' : ''}`,
        watts,
        energyJ: device.energy.energyJ,
        utilizationPercent: util,
        memoryUsedMiB: mem ? Number(mem.used) / 1048576 : null,
        memoryTotalMiB: mem ? Number(mem.total) / 1048576 : null,
        powerLimitW: limitW,
        coverage: device.energy.fraction(monotonicMs),
      };
      if (device.migEnabled) reading.shared = true;
      if (warnings.length > 0) reading.warnings = warnings;
      return reading;
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.nvml.shutdown();
    } catch {
      // Shutting down a library that is going away anyway; nothing to report.
    }
  }
}
