/** GA202 in configs: a datamodule with `pin_memory: false` in the same file as a trainer on the GPU. */
import { booleanOf, entryOf, stringOf, scalarAt } from '../../configs/tree';
import { dataloaderPinMemory } from '../GA202-dataloader-pin-memory';
import { trainingConfigs, type ConfigRule, type ConfigRuleFinding } from './rule';

export const dataloaderPinMemoryConfig: ConfigRule = {
  meta: dataloaderPinMemory.meta,
  check(context) {
    const { configs, editor } = trainingConfigs(context);
    if (!editor) return [];
    const findings: ConfigRuleFinding[] = [];
    for (const config of configs) {
      if (!config.trainer || !config.data) continue;
      const accelerator = entryOf(config.trainer, 'accelerator');
      const onGpu = ['gpu', 'cuda'].includes(stringOf(scalarAt(config.trainer, 'accelerator')) ?? '');
      const pin = entryOf(config.data, 'pin_memory');
      if (!onGpu || !accelerator || pin?.value?.type !== 'scalar' || booleanOf(pin.value) !== false) continue;
      findings.push({
        range: context.lines.range(pin.keySpan.start, pin.value.end),
        message: 'This datamodule does not pin host memory (pin_memory: false) for a trainer on the GPU: every batch is copied to the GPU synchronously from pageable memory.',
        fixes: [{ title: 'Set pin_memory: true', preferred: true, edits: [editor.setScalar(pin.value, true)] }],
        related: [{ range: context.lines.range(accelerator.keySpan.start, accelerator.value!.end), message: 'the trainer runs on the GPU' }],
        effect: { kind: 'slowdown', factor: 'dataloader-pageable-copy-stall', label: 'pinned memory' },
      });
    }
    return findings;
  },
};
