/** The rule registry: adding a rule is one new module here plus its fixtures under test/fixtures/rules/. */
import type { RuleMeta } from '../../../shared/src/ruleMeta';
import { ampMissing } from './GA101-amp-missing';
import { dataloaderNumWorkers } from './GA201-dataloader-num-workers';
import { dataloaderPinMemory } from './GA202-dataloader-pin-memory';
import { dataloaderLenMaterialized } from './GA206-dataloader-len-materialized';
import { evalWithoutNoGrad } from './GA301-eval-without-no-grad';
import { zeroGradSetToNoneFalse } from './GA302-zero-grad-set-to-none-false';
import { debugApisEnabled } from './GA303-debug-apis-enabled';
import { emptyCacheInLoop } from './GA304-empty-cache-in-loop';
import { cpuTensorThenMove } from './GA305-cpu-tensor-then-move';
import { convBiasBeforeBn } from './GA401-conv-bias-before-bn';
import { dataParallelInsteadOfDdp } from './GA501-dataparallel-instead-of-ddp';
import { unboundedTrainingLength } from './GA601-unbounded-training-length';
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
];

const byId = new Map(RULES.map((rule) => [rule.meta.id, rule]));

export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}

export function allRuleMeta(): RuleMeta[] {
  return RULES.map((rule) => rule.meta);
}
