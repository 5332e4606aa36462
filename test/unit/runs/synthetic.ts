/** Synthetic run headers and samples with round numbers, so that every expected figure can be computed by hand. */
import type { RunHeader, SampleLine } from '../../../shared/src/runs/schema';

export const T0 = Date.parse('2026-01-02T03:00:00.000Z');
export const GPU_UUID = 'GPU-11111111-2222-3333-4444-555555555555';
export const GPU_ID = `gpu:${GPU_UUID}`;

export function header(patch: Partial<RunHeader> = {}): RunHeader {
  return {
    schemaVersion: 1,
    id: '20260102T030000Z-test',
    label: 'test',
    command: ['python', 'train.py', '--epochs', '1'],
    cwd: '/work/project',
    startedAt: new Date(T0).toISOString(),
    launchedAt: new Date(T0 + 1000).toISOString(),
    host: { hostname: 'node-1', platform: 'linux', arch: 'x64', osRelease: '6.8.0', nodeVersion: '20.0.0', greenAiVersion: '0.1.0' },
    hardware: { gpus: [{ id: GPU_ID, name: 'NVIDIA H100 80GB HBM3', uuid: GPU_UUID, powerLimitW: 700 }], cpuModel: 'AMD EPYC 7763', cpuCount: 128, ramTotalGB: 512 },
    intervalMs: 1000,
    baselineS: 1,
    location: 'FR',
    sources: ['GPU 0: nvidia-smi', 'CPU: RAPL package-0'],
    ...patch,
  };
}

/** A sample `ms` after T0 with cumulative energies (J) and watts per component. */
export function sample(phase: SampleLine['phase'], ms: number, gpu: [number, number | null], cpu: [number, number | null], extra: Partial<SampleLine> = {}): SampleLine {
  return {
    phase,
    timestampMs: T0 + ms,
    monotonicMs: 50_000 + ms,
    components: [
      { id: GPU_ID, kind: 'gpu', name: 'NVIDIA H100 80GB HBM3 (GPU 0)', method: 'nvidia-smi', source: 'nvidia-smi power.draw.average, 1000 ms', energyJ: gpu[0], watts: gpu[1] },
      { id: 'cpu:package-0', kind: 'cpu', name: 'RAPL package-0', method: 'rapl', source: 'RAPL package-0', energyJ: cpu[0], watts: cpu[1] },
    ],
    totalWatts: (gpu[1] ?? 0) + (cpu[1] ?? 0),
    totalEnergyJ: gpu[0] + cpu[0],
    coverage: 1,
    ...extra,
  };
}

/**
 * Idle: GPU 100 W, CPU 10 W over [0, 1000] ms. Launch at 1000 ms. Run: GPU 300 W, CPU 50 W, samples at 2000, 3000,
 * 4000 ms. With the end at 3500 ms the window is [1000, 3500]: GPU 300+300+150 = 750 J, CPU 50+50+25 = 125 J.
 */
export function standardSamples(extra: (index: number) => Partial<SampleLine> = () => ({})): SampleLine[] {
  return [
    sample('baseline', 0, [0, 100], [0, 10]),
    sample('baseline', 1000, [100, 100], [10, 10]),
    sample('run', 2000, [400, 300], [60, 50], extra(0)),
    sample('run', 3000, [700, 300], [110, 50], extra(1)),
    sample('run', 4000, [1000, 300], [160, 50], extra(2)),
  ];
}
