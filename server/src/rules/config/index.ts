/** The config rule registry: rules that read YAML/JSON training configs and job scripts (same ids and settings as the Python rules). */
import type { RuleMeta } from '../../../../shared/src/ruleMeta';
import { ampMissingConfig } from './GA101-amp-missing-config';
import { dataloaderNumWorkersConfig } from './GA201-dataloader-num-workers-config';
import { dataloaderPinMemoryConfig } from './GA202-dataloader-pin-memory-config';
import { debugApisEnabledConfig } from './GA303-debug-apis-enabled-config';
import { unboundedTrainingLengthConfig } from './GA601-unbounded-training-length-config';
import { evalOrCheckpointTooFrequentConfig } from './GA603-eval-or-checkpoint-too-frequent-config';
import { microBatchTooSmallConfig } from './GA604-micro-batch-too-small-config';
import { globalBatchOversizedConfig } from './GA605-global-batch-oversized-config';
import { idleGpusRequested } from './GA701-idle-gpus-requested';
import { gpuAllocatedCpuRun } from './GA702-gpu-allocated-cpu-run';
import { cpuAllocationVsWorkers } from './GA703-cpu-allocation-vs-workers';
import { deepspeedOffloadUnneeded } from './GA704-deepspeed-offload-unneeded';
import type { ConfigRule } from './rule';

export const CONFIG_RULES: readonly ConfigRule[] = [
  ampMissingConfig,
  dataloaderNumWorkersConfig,
  dataloaderPinMemoryConfig,
  debugApisEnabledConfig,
  unboundedTrainingLengthConfig,
  evalOrCheckpointTooFrequentConfig,
  microBatchTooSmallConfig,
  globalBatchOversizedConfig,
  idleGpusRequested,
  gpuAllocatedCpuRun,
  cpuAllocationVsWorkers,
  deepspeedOffloadUnneeded,
];

/** Metadata of the rules that exist only for configs and job scripts (GA701–GA704). */
export const CONFIG_ONLY_RULE_META: readonly RuleMeta[] = [
  idleGpusRequested.meta,
  gpuAllocatedCpuRun.meta,
  cpuAllocationVsWorkers.meta,
  deepspeedOffloadUnneeded.meta,
];
