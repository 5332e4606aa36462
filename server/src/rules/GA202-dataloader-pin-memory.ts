import { DATALOADER_POSITIONS, datasetIsOnDevice, torchDataLoaderCalls } from '../analysis/dataLoaders';
import { addKeywordArgument, replaceKeywordValue } from '../analysis/edits';
import { firstLineRange, keywordArgument, rangeOf } from '../analysis/syntax';
import { isEvaluationLoader } from '../estimates/extract';
import type { Rule, RuleFinding } from './rule';

export const dataloaderPinMemory: Rule = {
  meta: {
    id: 'GA202',
    slug: 'dataloader-pin-memory',
    title: 'GPU training DataLoader without pinned memory',
    category: 'input-pipeline',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'Host-to-GPU copies from pageable memory are staged through a pinned buffer and block; with pin_memory=True the DataLoader pins batches in a background thread so copies are faster and can overlap compute (non_blocking=True). Every step then spends less GPU time waiting on input.',
    fix: 'Pass pin_memory=True to the DataLoader (and non_blocking=True to the batch .to(device) calls).',
    sources: [
      { title: 'PyTorch Performance Tuning Guide', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'A guide on good usage of non_blocking and pin_memory() in PyTorch', url: 'https://pytorch.org/tutorials/intermediate/pinmem_nonblock.html', year: 2024 },
    ],
  },
  check(context) {
    const gpu = context.gpu();
    if (!gpu.present) return [];
    const findings: RuleFinding[] = [];
    for (const call of torchDataLoaderCalls(context)) {
      const pin = context.values().argument(call, 'pin_memory', DATALOADER_POSITIONS.pin_memory);
      if (pin.state === 'unknown') continue;
      if (pin.state === 'present') {
        const value = context.values().resolve(pin.node);
        if (!(value.kind === 'bool' && value.value === false)) continue;
      }
      if (datasetIsOnDevice(context, call)) continue;
      const edit =
        pin.state === 'absent'
          ? addKeywordArgument(context, call, 'pin_memory=True')
          : keywordArgument(call, 'pin_memory')
            ? replaceKeywordValue(call, 'pin_memory', 'True')
            : null;
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message:
          pin.state === 'absent'
            ? 'DataLoader feeds a GPU without pin_memory=True: every host-to-device copy of a batch is slower and blocks.'
            : 'DataLoader feeds a GPU with pin_memory=False: every host-to-device copy of a batch is slower and blocks.',
        fixes: edit ? [{ title: 'Set pin_memory=True', preferred: true, edits: [edit] }] : [],
        related: gpu.first ? [{ range: rangeOf(gpu.first), message: 'the script uses a GPU here' }] : [],
        ...(isEvaluationLoader(call) ? {} : { effect: { kind: 'slowdown' as const, factor: 'dataloader-pageable-copy-stall', label: 'pin_memory=True' } }),
      });
    }
    return findings;
  },
};
