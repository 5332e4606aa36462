/**
 * GA602 no-early-stopping: a Lightning Trainer (or LightningCLI's trainer_defaults), Keras fit() or Hugging Face run
 * that validates, has a large epoch budget and no early stopping. Epoch counts follow constants and argparse defaults, Lightning's 1000-epoch default
 * counts when no length is set, and a `callbacks=` list is followed to its assignment and `.append` calls.
 */
import type { TextEdit } from 'vscode-languageserver-types';
import type { Node } from 'web-tree-sitter';
import { loadTables } from '../../../shared/src/carbon/tables';
import type { AnalysisContext } from '../analysis/context';
import { lightningCliCalls, lightningCliDefaults } from '../analysis/lightningCli';
import type { ArgumentLookup } from '../analysis/values';
import { addKeywordArgument } from '../analysis/edits';
import { calleeMethod, calleeName, descendantsOfType, enclosingFunction, firstLineRange, keywordArgument, keywordValue, positionalArguments, receiverOf } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const TEXT = /epoch/i;
const MIN_EPOCHS = 50;
/** Already stopping early (anywhere in the file: a callback built elsewhere in it counts). */
const EARLY_STOPPING = /EarlyStopping|early_stop/;
/**
 * Schedulers that decay to a planned end (cosine, step, one-cycle, linear/polynomial decay): a run that sets its own
 * length and follows one of these is meant to run to the end, and early stopping would cut the schedule short.
 * Matched on the callee's last name, so the word in a comment or a docstring does not count.
 */
const FIXED_BUDGET_SCHEDULE =
  /^(OneCycleLR|StepLR|MultiStepLR|PolynomialLR|LinearLR|SequentialLR|get_scheduler|get_\w*schedule\w*|create_scheduler\w*|PiecewiseConstantDecay|PolynomialDecay)$/;
/** Cosine schedules under any library's name (`CosineAnnealingLR`, `CosineDecay`, `warmup_cosine_decay_schedule`), not `cosine_similarity`. */
const COSINE_SCHEDULE = /cosine\w*(decay|schedul|anneal|lr)/i;
const WHY_SHORT = 'epochs after the validation metric stops improving use energy without improving the model';

export const noEarlyStopping: Rule = {
  meta: {
    id: 'GA602',
    slug: 'no-early-stopping',
    title: 'Long run with validation but no early stopping',
    category: 'schedule',
    tier: 'advanced',
    defaultSeverity: 'hint',
    enabledByDefault: true,
    why:
      'A run that validates every epoch already measures when the model stops improving, yet with a large epoch budget (50 or more) and no early stopping it keeps training to the last epoch. Lightning\'s speed guide lists early stopping among the ways to cut training time; Hugging Face (EarlyStoppingCallback) and Keras (callbacks.EarlyStopping) ship the same callback. Reported as a hint and never on hand-written loops: fixed-budget schedules (cosine or step decay to a planned end, token-budget pre-training) are deliberately run to the end, and the rule stays silent when a run that sets its own length uses one (a scheduler in the code, not the word in a comment; Lightning\'s 1000-epoch default is not a planned length).',
    fix: 'Add an early-stopping callback on the validation metric: Lightning `callbacks=[EarlyStopping(monitor="val_loss", patience=3)]`, Keras `callbacks=[keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)]`, Hugging Face `EarlyStoppingCallback(early_stopping_patience=3)` with load_best_model_at_end=True and metric_for_best_model.',
    sources: [
      { title: 'Lightning — Speed up model training, Early Stopping', url: 'https://lightning.ai/docs/pytorch/stable/advanced/speed.html#early-stopping', year: 2024 },
      { title: 'Hugging Face — Callbacks (EarlyStoppingCallback)', url: 'https://huggingface.co/docs/transformers/main_classes/callback', year: 2024 },
      { title: 'Keras — EarlyStopping callback', url: 'https://keras.io/api/callbacks/early_stopping/', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || EARLY_STOPPING.test(context.text)) return [];
    const frameworks = context.frameworks();
    const findings: RuleFinding[] = [];
    // argparse defaults count: `--epochs` defaulting to 200 is what a launch without flags runs.
    const epochs = (node: Node | null) => {
      const value = node ? context.values().resolve(node) : null;
      return value?.kind === 'number' ? value.value : null;
    };
    const fixedBudget = hasFixedBudgetSchedule(context);
    const report = (call: Node, what: string, count: number, remedy: string, fixes: Fix[] = []) =>
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: `${what} runs ${count} epochs with validation but no early stopping: ${WHY_SHORT}. ${remedy}`,
        fixes,
      });
    if (frameworks.has('lightning') && logsValidationMetric(context)) {
      for (const call of context.lightningTrainers()) {
        if (/Fabric$/.test(call.childForFieldName('function')?.text ?? '')) continue;
        const budget = lightningEpochs(context, call, epochs);
        if (!budget || budget.count < MIN_EPOCHS || !callbacksKnown(context, call)) continue;
        // A schedule only plans the run's end when the run has a set length; Lightning's default has none.
        if (budget.explicit && fixedBudget) continue;
        const what = budget.explicit ? 'This Lightning Trainer' : "This Lightning Trainer (no max_epochs, max_steps or max_time: Lightning's default)";
        report(call, what, budget.count, 'Add EarlyStopping(monitor="val_loss", patience=3) to callbacks.', lightningFix(context, call));
      }
      for (const cli of lightningCliCalls(context)) {
        const finding = cliFinding(context, cli, epochs, fixedBudget);
        if (finding) findings.push(finding);
      }
    }
    if (frameworks.has('hf-trainer')) {
      for (const call of context.huggingFaceArguments()) {
        const count = epochs(keywordValue(call, 'num_train_epochs'));
        if (count === null || count < MIN_EPOCHS || fixedBudget || !validates(context, call)) continue;
        report(call, 'This Hugging Face run', count, 'Add EarlyStoppingCallback(early_stopping_patience=3) with load_best_model_at_end=True and metric_for_best_model.');
      }
    }
    if (frameworks.has('keras') && !fixedBudget) findings.push(...checkKeras(context, epochs, report));
    return findings;
  },
};

/**
 * `LightningCLI(trainer_defaults={...})` whose defaults give a long (or Lightning's default) epoch budget and a
 * readable callback list without early stopping. Silent when a config file (`args=`, `default_config_files`) may set
 * the length or the callbacks: the defaults are then not what a launch runs.
 */
function cliFinding(context: AnalysisContext, cli: Node, epochs: (node: Node | null) => number | null, fixedBudget: boolean): RuleFinding | null {
  const cliDefaults = lightningCliDefaults(context, cli);
  if (!cliDefaults) return null;
  const { argument, keys } = cliDefaults;
  const lookup = (key: string): ArgumentLookup => {
    const node = keys.get(key);
    return node ? { state: 'present', node } : { state: 'absent' };
  };
  const budget = lightningBudget(lookup, epochs);
  if (!budget || budget.count < MIN_EPOCHS || (budget.explicit && fixedBudget)) return null;
  const callbacks = lookup('callbacks');
  if (!callbackListKnown(context, callbacks)) return null;
  const length = budget.explicit ? `"max_epochs": ${budget.count}` : "no max_epochs, max_steps or max_time: Lightning's default";
  const fixes: Fix[] = [];
  const importEdit = earlyStoppingImport(context);
  const edit = callbacks.state === 'present' && callbacks.node.type === 'list' ? appendToList(callbacks.node) : null;
  if (edit && importEdit) fixes.push({ title: 'Add EarlyStopping(monitor="val_loss", patience=3) to the callbacks (check the monitored metric name)', preferred: false, edits: [importEdit, edit] });
  return {
    range: firstLineRange(argument, (line) => context.lineText(line)),
    message: `LightningCLI's trainer_defaults (${length}) run ${budget.count} epochs with validation but no early stopping, unless every launch overrides them: ${WHY_SHORT}. Add EarlyStopping(monitor="val_loss", patience=3) to the callbacks.`,
    fixes,
  };
}

function appendToList(list: Node): TextEdit {
  const callback = 'EarlyStopping(monitor="val_loss", patience=3)';
  const items = list.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment');
  const last = items[items.length - 1];
  const at = last ? last.endPosition : list.firstChild!.endPosition;
  return { range: { start: { line: at.row, character: at.column }, end: { line: at.row, character: at.column } }, newText: last ? `, ${callback}` : callback };
}

/**
 * `EarlyStopping(monitor="val_loss", patience=3)` appended to `callbacks=[...]` (or a new `callbacks=` argument),
 * with its import from the Lightning package the file uses. Not preferred: the monitored key is a guess.
 */
function lightningFix(context: AnalysisContext, call: Node): Fix[] {
  const callback = 'EarlyStopping(monitor="val_loss", patience=3)';
  const callbacks = keywordValue(call, 'callbacks');
  // A list built elsewhere (`callbacks=callbacks`, or in a `**kwargs` dict) is left to the user: where to add to it is a choice.
  if ((callbacks && callbacks.type !== 'list') || (!callbacks && context.values().argument(call, 'callbacks').state !== 'absent')) return [];
  let edit: TextEdit | null;
  if (!callbacks) edit = addKeywordArgument(context, call, `callbacks=[${callback}]`);
  else edit = appendToList(callbacks);
  const importEdit = earlyStoppingImport(context);
  if (!edit || !importEdit) return [];
  return [{ title: 'Add EarlyStopping(monitor="val_loss", patience=3) to the callbacks (check the monitored metric name)', preferred: false, edits: [importEdit, edit] }];
}

/** `from lightning.pytorch.callbacks import EarlyStopping` (or `pytorch_lightning.callbacks`) after the file's last Lightning import. */
function earlyStoppingImport(context: AnalysisContext): TextEdit | null {
  const imports = context.root.namedChildren.filter(
    (statement): statement is Node => statement?.type === 'import_statement' || statement?.type === 'import_from_statement',
  );
  // Next to the file's Lightning imports (third-party group), else after the last import.
  const last = imports.filter((statement) => /lightning/.test(statement.text)).pop() ?? imports[imports.length - 1];
  if (!last) return null;
  const module = imports.some((statement) => /\bpytorch_lightning\b/.test(statement.text)) && !imports.some((statement) => /\blightning\b/.test(statement.text.replace(/pytorch_lightning/g, '')))
    ? 'pytorch_lightning.callbacks'
    : 'lightning.pytorch.callbacks';
  const newline = context.newline();
  const row = last.endPosition.row;
  return { range: { start: { line: row, character: context.lineText(row).length }, end: { line: row, character: context.lineText(row).length } }, newText: `${newline}from ${module} import EarlyStopping` };
}

/**
 * The epochs a Lightning Trainer runs: its `max_epochs`, or Lightning's default (training-defaults.json) when none of
 * max_epochs, max_steps and max_time is given. Null when the length is set some other way or cannot be read.
 */
function lightningEpochs(
  context: AnalysisContext,
  call: Node,
  epochs: (node: Node | null) => number | null,
): { count: number; explicit: boolean } | null {
  return lightningBudget((key) => context.values().argument(call, key), epochs);
}

/** `lightningEpochs` over any source of Trainer settings: a call's arguments, or LightningCLI's trainer_defaults. */
function lightningBudget(
  setting: (key: string) => ArgumentLookup,
  epochs: (node: Node | null) => number | null,
): { count: number; explicit: boolean } | null {
  const maxEpochs = setting('max_epochs');
  if (maxEpochs.state === 'present') {
    const count = epochs(maxEpochs.node);
    return count === null ? null : { count, explicit: true };
  }
  if (maxEpochs.state === 'unknown') return null;
  if (['max_steps', 'max_time'].some((key) => setting(key).state !== 'absent')) return null;
  const tables = loadTables();
  const row = tables.ok ? tables.value.trainingDefaults.rows.find((r) => r.framework === 'lightning' && r.key === 'max_epochs') : undefined;
  return row ? { count: row.value, explicit: false } : null;
}

/** A logged name that early stopping can monitor: `val_loss`, `val/acc`, `valid_f1`… (not a GAN's `val_d_fake`). */
const VALIDATION_METRIC = /["'](val|valid|validation)[\w/]*?(loss|acc|f1|auc|map|iou|dice|ppl|perplexity|bleu|rouge|err|mse|mae|score)/i;

/**
 * A LightningModule here whose validation hooks log a monitorable metric; or, when the module is not in this file,
 * validation dataloaders passed to the Trainer.
 */
function logsValidationMetric(context: AnalysisContext): boolean {
  const hooks = context
    .nodesOfType('function_definition')
    .filter((fn) => /^(validation_step|on_validation_epoch_end)$/.test(fn.childForFieldName('name')?.text ?? ''));
  if (hooks.length === 0) return /val_dataloaders?\b/.test(context.text);
  return hooks.some((fn) =>
    context.callsWithin(fn).some((call) => /(^|\.)log(_dict)?$/.test(calleeName(call) ?? '') && VALIDATION_METRIC.test(call.text)),
  );
}

/** A scheduler call (or `lr_scheduler_type=` setting) that decays to a planned end. */
function hasFixedBudgetSchedule(context: AnalysisContext): boolean {
  return context.calls().some((call) => {
    const name = calleeName(call)?.split('.').pop() ?? '';
    return FIXED_BUDGET_SCHEDULE.test(name) || COSINE_SCHEDULE.test(name) || keywordArgument(call, 'lr_scheduler_type') !== null;
  });
}

/**
 * Whether every callback the call gets is visible here: no `callbacks=`, a list literal, or a name bound once to a
 * list literal and only grown with `.append(...)`, `.extend([...])`, `.insert(i, ...)` or `+= [...]`. A list from a
 * helper or a parameter may hold an early-stopping callback built in another module.
 */
function callbacksKnown(context: AnalysisContext, call: Node): boolean {
  return callbackListKnown(context, context.values().argument(call, 'callbacks'));
}

function callbackListKnown(context: AnalysisContext, lookup: ArgumentLookup): boolean {
  if (lookup.state !== 'present') return lookup.state === 'absent';
  const value = lookup.node;
  if (value.type === 'list') return true;
  if (value.type !== 'identifier' || context.values().definitionOf(value)?.type !== 'list') return false;
  const scope = enclosingFunction(value) ?? context.root;
  for (const use of descendantsOfType(scope, 'call')) {
    const receiver = receiverOf(use);
    if (receiver?.type !== 'identifier' || receiver.text !== value.text) continue;
    const method = calleeMethod(use);
    if (method === 'append' || method === 'insert') continue;
    if (method === 'extend' && positionalArguments(use)[0]?.type === 'list') continue;
    // `callbacks.extend(make_callbacks())`, or anything else done with the list: it may add a stopper.
    if (method === 'extend') return false;
  }
  for (const grow of descendantsOfType(scope, 'augmented_assignment')) {
    if (grow.childForFieldName('left')?.text === value.text && grow.childForFieldName('right')?.type !== 'list') return false;
  }
  return true;
}

function validates(context: AnalysisContext, call: Node): boolean {
  for (const key of ['eval_strategy', 'evaluation_strategy']) {
    const value = context.values().resolve(keywordValue(call, key), { cliDefaults: false });
    if (value.kind === 'string' && value.value !== 'no') return true;
  }
  return false;
}

function checkKeras(
  context: AnalysisContext,
  epochs: (node: Node | null) => number | null,
  report: (call: Node, what: string, count: number, remedy: string) => void,
): RuleFinding[] {
  for (const call of context.calls()) {
    if (calleeMethod(call) !== 'fit') continue;
    if (!keywordValue(call, 'validation_data') && !keywordValue(call, 'validation_split')) continue;
    const count = epochs(keywordValue(call, 'epochs'));
    if (count === null || count < MIN_EPOCHS || !callbacksKnown(context, call)) continue;
    report(call, 'This Keras fit()', count, 'Add keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True) to callbacks.');
  }
  return [];
}
