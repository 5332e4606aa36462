/** The config rule registry: rules that read YAML/JSON training configs and job scripts (same ids and settings as the Python rules). */
import type { RuleMeta } from '../../../../shared/src/ruleMeta';
import { ampMissingConfig } from './GA101-amp-missing-config';
import { dataloaderNumWorkersConfig } from './GA201-dataloader-num-workers-config';
import { dataloaderPinMemoryConfig } from './GA202-dataloader-pin-memory-config';
import { idleGpusRequested } from './GA701-idle-gpus-requested';
import { gpuAllocatedCpuRun } from './GA702-gpu-allocated-cpu-run';
import type { ConfigRule } from './rule';

export const CONFIG_RULES: readonly ConfigRule[] = [ampMissingConfig, dataloaderNumWorkersConfig, dataloaderPinMemoryConfig, idleGpusRequested, gpuAllocatedCpuRun];

/** Metadata of the rules that exist only for configs and job scripts (GA701, GA702). */
export const CONFIG_ONLY_RULE_META: readonly RuleMeta[] = [idleGpusRequested.meta, gpuAllocatedCpuRun.meta];
