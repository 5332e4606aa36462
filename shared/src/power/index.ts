/**
 * The measurement layer's public API: one sampler that reads every power source this machine offers (NVML or one
 * long-lived nvidia-smi for NVIDIA GPUs, amdgpu hwmon, RAPL for CPU and RAM, else labelled estimates) and a helper that
 * turns joules into grams CO2e with the carbon model's grid intensity. No vscode import: used by the client, the CLI
 * and tests alike.
 */
export * from './types';
export { createPowerSampler } from './sampler';
export { carbonSoFar, type CarbonSoFar } from './carbon';
export { parseCudaVisibleDevices, type CudaVisibleDevices } from './cudaVisible';
