import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { DATALOADER_POSITIONS, datasetIsOnDevice, torchDataLoaderCalls } from '../analysis/dataLoaders';
import { addKeywordArgument, replaceKeywordValue } from '../analysis/edits';
import { LoaderEpochUse } from '../analysis/loaderEpochUse';
import { enclosingClass, enclosingFunction, firstLineRange, keywordArgument, LOOP_TYPES } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

/** A loop that runs once per epoch: `for epoch in range(args.epochs)`, `while epoch < max_epochs`. */
const EPOCH = /epoch/i;
/** Lightning and Hugging Face hooks whose loader the framework iterates once per epoch. */
// Test and predict loaders run once (trainer.test / trainer.predict): only training and validation loaders are re-spawned per epoch.
const LOADER_HOOK = /^(train|val)_dataloader$|^get_(train|eval)_dataloader$/;
const FIX_TITLE = 'Set persistent_workers=True (workers keep their dataset copy across epochs)';

export const dataloaderPersistentWorkers: Rule = {
  meta: {
    id: 'GA203',
    slug: 'dataloader-persistent-workers',
    title: 'DataLoader workers re-spawned every epoch',
    category: 'input-pipeline',
    tier: 'advanced',
    defaultSeverity: 'information',
    enabledByDefault: true,
    why:
      'Without persistent_workers=True a DataLoader with worker processes shuts them down at the end of every pass and starts them again for the next: each epoch pays process start-up, re-imports and a fresh copy of the dataset object per worker while the GPU waits for the first batches. Lightning\'s speed guide: persistent_workers=True "will significantly speed up the worker startup time across epochs". Information severity: workers then hold their memory between epochs, and a dataset the main process changes between epochs is not seen by persistent workers.',
    fix: 'Pass persistent_workers=True to DataLoaders with num_workers > 0 that are iterated every epoch (Hugging Face: dataloader_persistent_workers=True).',
    sources: [
      { title: 'Lightning — Speed up model training: persistent workers', url: 'https://lightning.ai/docs/pytorch/stable/advanced/speed.html', year: 2024 },
      { title: 'torch.utils.data.DataLoader (persistent_workers)', url: 'https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader', year: 2024 },
      { title: 'Hugging Face TrainingArguments (dataloader_persistent_workers)', url: 'https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments', year: 2024 },
    ],
  },
  check(context) {
    const text = context.text;
    if (!text.includes('num_workers')) return [];
    if (text.includes('reload_dataloaders_every')) return [];
    const findings: RuleFinding[] = [];
    const values = context.values();
    let epochUse: LoaderEpochUse | undefined;
    for (const call of torchDataLoaderCalls(context)) {
      const workers = values.argument(call, 'num_workers', DATALOADER_POSITIONS.num_workers);
      if (workers.state !== 'present') continue;
      const count = values.resolve(workers.node);
      if (count.kind === 'number' && count.value <= 0) continue;
      if (count.kind !== 'number' && count.kind !== 'unknown') continue;
      const persistent = values.argument(call, 'persistent_workers');
      if (persistent.state === 'unknown') continue;
      if (persistent.state === 'present') {
        const value = values.resolve(persistent.node);
        if (!(value.kind === 'bool' && !value.value)) continue;
      }
      if (context.isDebugGated(call) || datasetIsOnDevice(context, call)) continue;
      epochUse ??= new LoaderEpochUse(context, findEpochLoops(context));
      if (!isIteratedEveryEpoch(call, epochUse)) continue;
      const edit = persistent.state === 'absent' ? addKeywordArgument(context, call, 'persistent_workers=True') : keywordArgument(call, 'persistent_workers') ? replaceKeywordValue(call, 'persistent_workers', 'True') : null;
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: 'This DataLoader\'s worker processes are shut down after every pass and started again for the next epoch; persistent_workers=True keeps them alive.',
        fixes: fix(edit),
      });
    }
    findings.push(...checkTrainingArguments(context));
    return findings;
  },
};

function fix(edit: ReturnType<typeof addKeywordArgument>): Fix[] {
  // Not preferred: a dataset the main process mutates between epochs is no longer seen by the workers.
  return edit ? [{ title: FIX_TITLE, preferred: false, edits: [edit] }] : [];
}

function findEpochLoops(context: AnalysisContext): Node[] {
  const loops: Node[] = [];
  for (const loop of context.nodesOfType('for_statement')) {
    const header = `${loop.childForFieldName('left')?.text ?? ''} ${loop.childForFieldName('right')?.text ?? ''}`;
    if (EPOCH.test(header)) loops.push(loop);
  }
  for (const loop of context.nodesOfType('while_statement')) {
    if (EPOCH.test(loop.childForFieldName('condition')?.text ?? '')) loops.push(loop);
  }
  return loops;
}

/**
 * The loader is built once and iterated per epoch: it is not built inside a loop (a loader re-created every epoch
 * gains nothing), and either a framework hook returns it (Lightning, HF Trainer) or one of its uses iterates it
 * inside an epoch loop or hands it to `fit`. A loader read once after training (a notebook's test loader) is not;
 * where its uses cannot be followed (stored in a dict, returned), a file with an epoch loop is taken to iterate it.
 */
function isIteratedEveryEpoch(call: Node, epochUse: LoaderEpochUse): boolean {
  for (let p = call.parent; p; p = p.parent) {
    if (LOOP_TYPES.has(p.type) || p.type === 'list_comprehension' || p.type === 'generator_expression') return false;
  }
  const fn = enclosingFunction(call);
  const name = fn?.childForFieldName('name')?.text ?? '';
  if (fn && LOADER_HOOK.test(name) && enclosingClass(fn)) return true;
  const use = epochUse.of(call);
  return use === 'per-epoch' || (use === 'unknown' && epochUse.hasEpochLoop);
}

/** Hugging Face Trainer: dataloader_num_workers > 0 without dataloader_persistent_workers, over more than one epoch. */
function checkTrainingArguments(context: AnalysisContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const values = context.values();
  for (const call of context.huggingFaceArguments()) {
    const workers = values.argument(call, 'dataloader_num_workers');
    if (workers.state !== 'present') continue;
    const count = values.resolve(workers.node);
    if (count.kind !== 'number' || count.value <= 0) continue;
    const persistent = values.argument(call, 'dataloader_persistent_workers');
    if (persistent.state === 'unknown') continue;
    if (persistent.state === 'present') {
      const value = values.resolve(persistent.node);
      if (!(value.kind === 'bool' && !value.value)) continue;
    }
    const epochs = values.argument(call, 'num_train_epochs');
    if (epochs.state === 'unknown') continue;
    if (epochs.state === 'present') {
      const value = values.resolve(epochs.node);
      if (value.kind !== 'number' || value.value <= 1) continue;
    }
    if (values.argument(call, 'max_steps').state !== 'absent') continue;
    const edit = persistent.state === 'absent'
      ? addKeywordArgument(context, call, 'dataloader_persistent_workers=True')
      : replaceKeywordValue(call, 'dataloader_persistent_workers', 'True');
    findings.push({
      range: firstLineRange(call, (line) => context.lineText(line)),
      message: 'The Trainer\'s DataLoader workers are re-spawned every epoch; dataloader_persistent_workers=True keeps them alive across epochs.',
      fixes: edit ? [{ title: 'Set dataloader_persistent_workers=True', preferred: false, edits: [edit] }] : [],
    });
  }
  return findings;
}
