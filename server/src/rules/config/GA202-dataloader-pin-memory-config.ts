/**
 * GA202 in configs: a datamodule with `pin_memory: false` in the same file as a trainer on the GPU, or (Hydra job) in
 * the config the job composes.
 */
import { booleanOf, entryOf, stringOf, scalarAt } from '../../configs/tree';
import { dataloaderPinMemory } from '../GA202-dataloader-pin-memory';
import { fileUri } from '../../jobs/graph';
import { composedFindings, compositionsOf, scalarOf, setHere, setValueEdit, viaRelated, type ComposedJob, unselectedHydraOption } from './hydraComposed';
import { trainingConfigs, type ConfigContext, type ConfigRule, type ConfigRuleFinding } from './rule';

export const dataloaderPinMemoryConfig: ConfigRule = {
  meta: dataloaderPinMemory.meta,
  check(context) {
    if (unselectedHydraOption(context)) return []; // an option of a Hydra app no run selects (hydraComposed.ts)
    const { configs, editor } = trainingConfigs(context);
    // A file of a Hydra job: judged on the composed config, reported where pin_memory is set.
    if (compositionsOf(context).length > 0) return composedFindings(context, (job) => pinComposed(context, job));
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

const PIN = { kind: 'slowdown', factor: 'dataloader-pageable-copy-stall', label: 'pinned memory' } as const;

function pinComposed(context: ConfigContext, { composition }: ComposedJob): ConfigRuleFinding[] {
  const accelerator = composition.values.get('trainer.accelerator');
  if (!['gpu', 'cuda'].includes(stringOf(scalarOf(accelerator)) ?? '')) return [];
  return ['data.pin_memory', 'data.init_args.pin_memory', 'datamodule.pin_memory'].flatMap((key) => {
    const pin = composition.values.get(key);
    if (!setHere(context, pin) || booleanOf(scalarOf(pin)) !== false) return [];
    const edit = setValueEdit(context, pin, true);
    return [
      {
        range: pin.range,
        message: 'This datamodule does not pin host memory (pin_memory: false in the config Hydra composes for the job) for a trainer on the GPU: every batch is copied to the GPU synchronously from pageable memory.',
        fixes: edit ? [{ title: 'Set pin_memory to true', preferred: true, edits: [edit] }] : [],
        related: [...viaRelated(pin), { uri: fileUri(accelerator!.file.path), range: accelerator!.range, message: 'the trainer runs on the GPU' }],
        effect: PIN,
      },
    ];
  });
}
