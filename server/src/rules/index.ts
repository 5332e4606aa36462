/** The rule registry: adding a rule is one new module here plus its fixtures under test/fixtures/rules/. */
import type { RuleMeta } from '../../../shared/src/ruleMeta';
import { ampMissing } from './GA101-amp-missing';
import { tf32NotEnabled } from './GA102-tf32-not-enabled';
import { fp64Training } from './GA103-fp64-training';
import { bf16WithGradScaler } from './GA104-bf16-with-gradscaler';
import { dataloaderNumWorkers } from './GA201-dataloader-num-workers';
import { dataloaderPinMemory } from './GA202-dataloader-pin-memory';
import { dataloaderPersistentWorkers } from './GA203-dataloader-persistent-workers';
import { blockingH2dCopy } from './GA204-blocking-h2d-copy';
import { tfdataNoPrefetch } from './GA205-tfdata-no-prefetch';
import { dataloaderLenMaterialized } from './GA206-dataloader-len-materialized';
import { evalWithoutNoGrad } from './GA301-eval-without-no-grad';
import { zeroGradSetToNoneFalse } from './GA302-zero-grad-set-to-none-false';
import { debugApisEnabled } from './GA303-debug-apis-enabled';
import { emptyCacheInLoop } from './GA304-empty-cache-in-loop';
import { cpuTensorThenMove } from './GA305-cpu-tensor-then-move';
import { hostSyncInLoop } from './GA306-host-sync-in-loop';
import { loopInvariantInTrainLoop } from './GA307-loop-invariant-in-train-loop';
import { deterministicAlgorithms } from './GA308-deterministic-algorithms';
import { convBiasBeforeBn } from './GA401-conv-bias-before-bn';
import { cudnnBenchmarkOff } from './GA402-cudnn-benchmark-off';
import { torchCompileMissing } from './GA403-torch-compile-missing';
import { optimizerNotFused } from './GA404-optimizer-not-fused';
import { tensorCoreUnalignedDims } from './GA405-tensor-core-unaligned-dims';
import { channelsLastMissing } from './GA406-channels-last-missing';
import { gradientCheckpointingUnneeded } from './GA407-gradient-checkpointing-unneeded';
import { jaxStepNotJitted } from './GA408-jax-step-not-jitted';
import { dataParallelInsteadOfDdp } from './GA501-dataparallel-instead-of-ddp';
import { ddpWithoutDistributedSampler } from './GA502-ddp-without-distributed-sampler';
import { ddpGradAccumWithoutNoSync } from './GA503-ddp-grad-accum-without-no-sync';
import { ddpFindUnusedParameters } from './GA504-ddp-find-unused-parameters';
import { unboundedTrainingLength } from './GA601-unbounded-training-length';
import { noEarlyStopping } from './GA602-no-early-stopping';
import { evalOrCheckpointTooFrequent } from './GA603-eval-or-checkpoint-too-frequent';
import { microBatchTooSmall } from './GA604-micro-batch-too-small';
import { globalBatchOversized } from './GA605-global-batch-oversized';
import { groupByLengthMissing } from './GA606-group-by-length-missing';
import { batchExceedsGpuMemory } from './GA607-batch-exceeds-gpu-memory';
import { CONFIG_ONLY_RULE_META } from './config';
import type { Rule } from './rule';

export const RULES: readonly Rule[] = [
  ampMissing,
  dataloaderNumWorkers,
  dataloaderPinMemory,
  dataloaderLenMaterialized,
  evalWithoutNoGrad,
  zeroGradSetToNoneFalse,
  debugApisEnabled,
  emptyCacheInLoop,
  cpuTensorThenMove,
  convBiasBeforeBn,
  dataParallelInsteadOfDdp,
  unboundedTrainingLength,
  // Advanced tier (heuristic): information severity, or opt-in where false positives are likely.
  tf32NotEnabled,
  fp64Training,
  bf16WithGradScaler,
  dataloaderPersistentWorkers,
  blockingH2dCopy,
  tfdataNoPrefetch,
  hostSyncInLoop,
  loopInvariantInTrainLoop,
  deterministicAlgorithms,
  cudnnBenchmarkOff,
  torchCompileMissing,
  optimizerNotFused,
  tensorCoreUnalignedDims,
  channelsLastMissing,
  gradientCheckpointingUnneeded,
  jaxStepNotJitted,
  ddpWithoutDistributedSampler,
  ddpGradAccumWithoutNoSync,
  ddpFindUnusedParameters,
  noEarlyStopping,
  evalOrCheckpointTooFrequent,
  microBatchTooSmall,
  globalBatchOversized,
  groupByLengthMissing,
  batchExceedsGpuMemory,
];

// Rules that exist only for configs and job scripts (rules/config/) are looked up here too, for docs links and SARIF.
const byId = new Map<string, Pick<Rule, 'meta'>>([...RULES, ...CONFIG_ONLY_RULE_META.map((meta) => ({ meta }))].map((rule) => [rule.meta.id, rule]));

export function ruleById(id: string): Pick<Rule, 'meta'> | undefined {
  return byId.get(id);
}

export function allRuleMeta(): RuleMeta[] {
  return [...RULES.map((rule) => rule.meta), ...CONFIG_ONLY_RULE_META].sort((a, b) => a.id.localeCompare(b.id));
}
