/** The rule registry: adding a rule is one new module here plus its fixtures under test/fixtures/rules/. */
import type { RuleMeta } from '../../../shared/src/ruleMeta';
import { ampMissing } from './GA101-amp-missing';
import { dataloaderNumWorkers } from './GA201-dataloader-num-workers';
import { dataloaderPinMemory } from './GA202-dataloader-pin-memory';
import { evalWithoutNoGrad } from './GA301-eval-without-no-grad';
import { zeroGradSetToNoneFalse } from './GA302-zero-grad-set-to-none-false';
import { dataParallelInsteadOfDdp } from './GA501-dataparallel-instead-of-ddp';
import type { Rule } from './rule';

export const RULES: readonly Rule[] = [
  ampMissing,
  dataloaderNumWorkers,
  dataloaderPinMemory,
  evalWithoutNoGrad,
  zeroGradSetToNoneFalse,
  dataParallelInsteadOfDdp,
];

const byId = new Map(RULES.map((rule) => [rule.meta.id, rule]));

export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}

export function allRuleMeta(): RuleMeta[] {
  return RULES.map((rule) => rule.meta);
}
