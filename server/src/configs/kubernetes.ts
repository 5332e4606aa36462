/**
 * Kubeflow PyTorchJob manifests (`apiVersion: kubeflow.org/v1`, `kind: PyTorchJob`): per replica type (Master,
 * Worker) the pod count, the GPUs each pod requests (`resources.limits."nvidia.com/gpu"`) and the processes its
 * container starts — torchrun's `--nproc_per_node` (or the job's `spec.nprocPerNode`, which the operator hands to
 * torchrun), or one process for a plain `python script.py`. The job's deadline is `runPolicy.activeDeadlineSeconds`.
 */
import type { TrainingConfig } from './kinds';
import { entryOf, literal, mapAt, numberOf, scalarAt, type ConfigEntry, type ConfigMap, type ConfigNode } from './tree';

export interface ReplicaGpus {
  /** `Master`, `Worker`. */
  role: string;
  replicas: number;
  /** GPUs each pod of this replica type requests, and the `nvidia.com/gpu` entry (the finding's anchor). */
  gpusPerPod: number;
  gpuEntry: ConfigEntry;
  /** Processes the container starts per pod; 'all' = one per visible GPU; null = unknown. */
  processes: number | 'all' | null;
  /** How the container is launched, for messages. */
  launcher: 'torchrun' | 'python' | 'other';
  /** The container's `command` entry (or `args`), for related information. */
  commandEntry: ConfigEntry | undefined;
}

export interface PyTorchJob {
  replicas: ReplicaGpus[];
  hours: number | undefined;
}

export function pytorchJobOf(config: TrainingConfig): PyTorchJob | undefined {
  if (!config.kinds.has('pytorchjob')) return undefined;
  const spec = mapAt(config.root, 'spec');
  const specs = mapAt(spec, 'pytorchReplicaSpecs');
  if (!spec || !specs) return undefined;
  const nproc = literal(scalarAt(spec, 'nprocPerNode'));
  const deadline = numberOf(scalarAt(spec, 'runPolicy.activeDeadlineSeconds'));
  const replicas: ReplicaGpus[] = [];
  for (const roleEntry of specs.entries) {
    if (roleEntry.value?.type !== 'map') continue;
    const replicaCount = numberOf(scalarAt(roleEntry.value, 'replicas')) ?? 1;
    const containers = nodeAt(roleEntry.value, ['template', 'spec', 'containers']);
    if (containers?.type !== 'seq') continue;
    for (const container of containers.items) {
      if (container.type !== 'map') continue;
      const gpuEntry = entryOf(mapAt(container, 'resources.limits'), 'nvidia.com/gpu');
      const gpus = gpuEntry?.value?.type === 'scalar' ? numberOf(gpuEntry.value) : undefined;
      if (!gpuEntry || gpus === undefined || gpus < 1) continue;
      const commandEntry = entryOf(container, 'command') ?? entryOf(container, 'args');
      const text = [...stringsOf(entryOf(container, 'command')?.value), ...stringsOf(entryOf(container, 'args')?.value)].join(' ');
      const { launcher, processes } = processesOf(text, nproc);
      replicas.push({ role: roleEntry.key, replicas: replicaCount, gpusPerPod: gpus, gpuEntry, processes, launcher, commandEntry });
    }
  }
  return { replicas, hours: deadline !== undefined && deadline > 0 ? deadline / 3600 : undefined };
}

function nodeAt(map: ConfigMap, keys: string[]): ConfigNode | null | undefined {
  let current: ConfigNode | null | undefined = map;
  for (const key of keys) current = entryOf(current, key)?.value;
  return current;
}

function stringsOf(node: ConfigNode | null | undefined): string[] {
  if (!node) return [];
  if (node.type === 'scalar') return node.dynamic ? ['$DYNAMIC'] : [String(node.value ?? '')];
  if (node.type === 'seq') return node.items.flatMap(stringsOf);
  return [];
}

function processesOf(text: string, nproc: string | number | boolean | null | undefined): Pick<ReplicaGpus, 'launcher' | 'processes'> {
  if (/\b(torchrun|torch\.distributed\.(run|launch))\b/.test(text)) {
    const flag = /--nproc[_-]per[_-]node(?:=|\s+)(\S+)/.exec(text)?.[1];
    const value = flag ?? (nproc === undefined || nproc === null ? undefined : String(nproc));
    if (value === undefined) return { launcher: 'torchrun', processes: 1 };
    if (value === 'auto' || value === 'gpu') return { launcher: 'torchrun', processes: 'all' };
    return { launcher: 'torchrun', processes: /^\d+$/.test(value) ? Number(value) : null };
  }
  if (/\b(accelerate|deepspeed|mpirun|horovodrun)\b/.test(text) || text.includes('$')) return { launcher: 'other', processes: null };
  if (/(^|[\s/])python[\d.]*\s+(-\S+\s+)*\S+\.py\b/.test(text)) return { launcher: 'python', processes: 1 };
  return { launcher: 'other', processes: null };
}

