import type { AnalysisContext } from '../analysis/context';
import { DATALOADER_POSITIONS, datasetIsOnDevice, torchDataLoaderCalls } from '../analysis/dataLoaders';
import { addKeywordArgument, ensureImport, replaceKeywordValue } from '../analysis/edits';
import { firstLineRange, keywordArgument } from '../analysis/syntax';
import { isEvaluationLoader } from '../estimates/extract';
import type { CostEffect } from './rule';
import type { Rule, RuleFinding } from './rule';

const WORKERS_EXPRESSION = 'min(8, os.cpu_count() or 1)';
/** Worker processes remove the input stall of the training loader (savings-factors.json). */
const EFFECT: CostEffect = { kind: 'slowdown', factor: 'dataloader-single-process-stall', label: 'worker processes' };

export const dataloaderNumWorkers: Rule = {
  meta: {
    id: 'GA201',
    slug: 'dataloader-num-workers',
    title: 'DataLoader loads batches in the training process',
    category: 'input-pipeline',
    tier: 'core',
    defaultSeverity: 'warning',
    enabledByDefault: true,
    why:
      'With num_workers=0 (the default) loading, decoding and augmentation run synchronously in the training process, so the accelerator idles — while still drawing power — until each batch is ready. In Princeton Research Computing\'s single-GPU workshop the DataLoader line took 82.6% of the training function\'s time; PyTorch\'s tuning guide recommends asynchronous loading with worker processes.',
    fix: 'Pass num_workers (for example min(8, os.cpu_count() or 1)) so batches are prepared in parallel with the training step; match the job\'s CPU allocation.',
    sources: [
      { title: 'PyTorch Performance Tuning Guide — Enable asynchronous data loading', url: 'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html', year: 2024 },
      { title: 'Princeton Research Computing, multi_gpu_training 01_single_gpu', url: 'https://github.com/PrincetonUniversity/multi_gpu_training', year: 2023 },
    ],
  },
  check(context) {
    const findings: RuleFinding[] = [];
    for (const call of torchDataLoaderCalls(context)) {
      if (context.isDebugGated(call)) continue;
      const workers = context.values().argument(call, 'num_workers', DATALOADER_POSITIONS.num_workers);
      if (workers.state === 'unknown') continue;
      if (workers.state === 'present') {
        const value = context.values().resolve(workers.node);
        if (!(value.kind === 'number' && value.value === 0)) continue;
      }
      if (datasetIsOnDevice(context, call)) continue;
      const explicitZero = workers.state === 'present' && keywordArgument(call, 'num_workers') !== null;
      const edit = explicitZero
        ? replaceKeywordValue(call, 'num_workers', WORKERS_EXPRESSION)
        : workers.state === 'absent'
          ? addKeywordArgument(context, call, `num_workers=${WORKERS_EXPRESSION}`)
          : null;
      const importOs = ensureImport(context, 'os');
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message:
          workers.state === 'absent'
            ? 'DataLoader has no num_workers (defaults to 0): batches are loaded in the training process while the GPU waits.'
            : 'DataLoader uses num_workers=0: batches are loaded in the training process while the GPU waits.',
        fixes: edit
          ? [{ title: `Set num_workers=${WORKERS_EXPRESSION}`, preferred: false, edits: importOs ? [importOs, edit] : [edit] }]
          : [],
        ...(isEvaluationLoader(call) ? {} : { effect: EFFECT }),
      });
    }
    findings.push(...checkTrainingArguments(context));
    return findings;
  },
};

/** Hugging Face's Trainer builds its DataLoaders from `dataloader_num_workers`, default 0. */
function checkTrainingArguments(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const call of context.huggingFaceArguments()) {
    if (context.isDebugGated(call)) continue;
    const workers = context.values().argument(call, 'dataloader_num_workers');
    if (workers.state === 'unknown') continue;
    if (workers.state === 'present') {
      const value = context.values().resolve(workers.node);
      if (!(value.kind === 'number' && value.value === 0)) continue;
    }
    const edit = keywordArgument(call, 'dataloader_num_workers')
      ? replaceKeywordValue(call, 'dataloader_num_workers', WORKERS_EXPRESSION)
      : workers.state === 'absent'
        ? addKeywordArgument(context, call, `dataloader_num_workers=${WORKERS_EXPRESSION}`)
        : null;
    const importOs = ensureImport(context, 'os');
    findings.push({
      range: firstLineRange(call, (line) => context.lineText(line)),
      message: 'The Trainer\'s DataLoaders use dataloader_num_workers=0 (the default): batches are loaded in the training process while the GPU waits.',
      fixes: edit ? [{ title: `Set dataloader_num_workers=${WORKERS_EXPRESSION}`, preferred: false, edits: importOs ? [importOs, edit] : [edit] }] : [],
      effect: EFFECT,
    });
  }
  return findings;
}
