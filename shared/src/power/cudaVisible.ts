/**
 * CUDA_VISIBLE_DEVICES as the CUDA runtime reads it: a comma-separated list of indices, `GPU-<uuid>` (or a unique
 * prefix of one) and `MIG-<uuid>` entries, read up to the first invalid entry; set but empty hides every GPU. Indices
 * follow nvidia-smi/NVML order, which matches CUDA's only with CUDA_DEVICE_ORDER=PCI_BUS_ID: the caveat is reported.
 */

export type CudaVisibleDevices = { all: true } | { all: false; entries: string[]; notes: string[] };

export function parseCudaVisibleDevices(value: string | undefined): CudaVisibleDevices {
  if (value === undefined) return { all: true };
  const entries: string[] = [];
  const notes: string[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (/^\d+$/.test(entry) || /^(GPU|MIG)-[0-9a-fA-F-]*$/.test(entry)) entries.push(entry);
    else {
      if (entry !== '') notes.push(`CUDA_VISIBLE_DEVICES entry "${entry}" is not an index or UUID; CUDA ignores it and every entry after it`);
      break;
    }
  }
  return { all: false, entries, notes };
}

export interface GpuIdentity {
  index: number;
  uuid: string;
  migEnabled?: boolean;
}

/** The GPUs a CUDA process with this environment would see, and why others are hidden. */
export function visibleGpus<T extends GpuIdentity>(gpus: readonly T[], visible: CudaVisibleDevices): { gpus: T[]; notes: string[] } {
  if (visible.all) return { gpus: [...gpus], notes: [] };
  const notes = [...visible.notes];
  const chosen: T[] = [];
  const add = (gpu: T | undefined) => {
    if (gpu && !chosen.includes(gpu)) chosen.push(gpu);
  };
  for (const entry of visible.entries) {
    if (/^\d+$/.test(entry)) {
      const gpu = gpus.find((candidate) => candidate.index === Number(entry));
      if (!gpu) notes.push(`CUDA_VISIBLE_DEVICES names GPU ${entry}, which does not exist`);
      add(gpu);
    } else if (entry.startsWith('GPU-')) {
      const matches = gpus.filter((candidate) => candidate.uuid.toLowerCase().startsWith(entry.toLowerCase()));
      if (matches.length !== 1) notes.push(`CUDA_VISIBLE_DEVICES entry ${entry} matches ${matches.length} GPUs`);
      else add(matches[0]);
    } else {
      // A MIG instance's UUID does not name its board in nvidia-smi's GPU query; the boards in MIG mode are the candidates.
      const boards = gpus.filter((candidate) => candidate.migEnabled);
      if (boards.length === 0) notes.push(`CUDA_VISIBLE_DEVICES names MIG instance ${entry}, but no GPU is in MIG mode`);
      else notes.push(`MIG instance ${entry}: showing board power of the GPU(s) in MIG mode, shared with other instances`);
      for (const board of boards) add(board);
    }
  }
  if (visible.entries.some((entry) => /^\d+$/.test(entry)) && gpus.length > 1) {
    notes.push('CUDA_VISIBLE_DEVICES indices are matched in PCI bus order (as with CUDA_DEVICE_ORDER=PCI_BUS_ID); prefer GPU UUIDs');
  }
  return { gpus: chosen, notes };
}
