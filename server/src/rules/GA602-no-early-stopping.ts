import type { TextEdit } from 'vscode-languageserver-types';
import type { Node } from 'web-tree-sitter';
import type { AnalysisContext } from '../analysis/context';
import { addKeywordArgument } from '../analysis/edits';
import { calleeMethod, firstLineRange, keywordValue } from '../analysis/syntax';
import type { Fix, Rule, RuleFinding } from './rule';

const TEXT = /epoch/i;
const MIN_EPOCHS = 50;
/** Already stopping early, or a fixed-budget schedule where early stopping would cut the schedule short. */
const SKIP =
  /EarlyStopping|early_stop|CosineAnnealing|OneCycleLR|StepLR|MultiStepLR|PolynomialLR|LinearLR|SequentialLR|get_cosine|get_linear_schedule|get_scheduler|lr_scheduler_type|CosineDecay|PiecewiseConstantDecay|cosine/;
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
      'A run that validates every epoch already measures when the model stops improving, yet with a large epoch budget (50 or more) and no early stopping it keeps training to the last epoch. Lightning\'s speed guide lists early stopping among the ways to cut training time; Hugging Face (EarlyStoppingCallback) and Keras (callbacks.EarlyStopping) ship the same callback. Reported as a hint and never on hand-written loops: fixed-budget schedules (cosine or step decay to a planned end, token-budget pre-training) are deliberately run to the end, and the rule stays silent when it sees one.',
    fix: 'Add an early-stopping callback on the validation metric: Lightning `callbacks=[EarlyStopping(monitor="val_loss", patience=3)]`, Keras `callbacks=[keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)]`, Hugging Face `EarlyStoppingCallback(early_stopping_patience=3)` with load_best_model_at_end=True and metric_for_best_model.',
    sources: [
      { title: 'Lightning — Speed up model training, Early Stopping', url: 'https://lightning.ai/docs/pytorch/stable/advanced/speed.html#early-stopping', year: 2024 },
      { title: 'Hugging Face — Callbacks (EarlyStoppingCallback)', url: 'https://huggingface.co/docs/transformers/main_classes/callback', year: 2024 },
      { title: 'Keras — EarlyStopping callback', url: 'https://keras.io/api/callbacks/early_stopping/', year: 2024 },
    ],
  },
  check(context) {
    if (!TEXT.test(context.text) || SKIP.test(context.text)) return [];
    const frameworks = context.frameworks();
    const findings: RuleFinding[] = [];
    const epochs = (node: Node | null) => {
      const value = node ? context.values().resolve(node, { cliDefaults: false }) : null;
      return value?.kind === 'number' ? value.value : null;
    };
    const report = (call: Node, what: string, count: number, remedy: string, fixes: Fix[] = []) =>
      findings.push({
        range: firstLineRange(call, (line) => context.lineText(line)),
        message: `${what} runs ${count} epochs with validation but no early stopping: ${WHY_SHORT}. ${remedy}`,
        fixes,
      });
    if (frameworks.has('lightning') && /def validation_step|val_dataloaders?\b/.test(context.text)) {
      for (const call of context.lightningTrainers()) {
        if (/Fabric$/.test(call.childForFieldName('function')?.text ?? '')) continue;
        const count = epochs(keywordValue(call, 'max_epochs'));
        if (count === null || count < MIN_EPOCHS || hasUnknownCallbacks(call)) continue;
        report(call, 'This Lightning Trainer', count, 'Add EarlyStopping(monitor="val_loss", patience=3) to callbacks.', lightningFix(context, call));
      }
    }
    if (frameworks.has('hf-trainer')) {
      for (const call of context.huggingFaceArguments()) {
        const count = epochs(keywordValue(call, 'num_train_epochs'));
        if (count === null || count < MIN_EPOCHS || !validates(context, call)) continue;
        report(call, 'This Hugging Face run', count, 'Add EarlyStoppingCallback(early_stopping_patience=3) with load_best_model_at_end=True and metric_for_best_model.');
      }
    }
    if (frameworks.has('keras')) findings.push(...checkKeras(context, epochs, report));
    return findings;
  },
};

/**
 * `EarlyStopping(monitor="val_loss", patience=3)` appended to `callbacks=[...]` (or a new `callbacks=` argument),
 * with its import from the Lightning package the file uses. Not preferred: the monitored key is a guess.
 */
function lightningFix(context: AnalysisContext, call: Node): Fix[] {
  const callback = 'EarlyStopping(monitor="val_loss", patience=3)';
  const callbacks = keywordValue(call, 'callbacks');
  let edit: TextEdit | null;
  if (!callbacks) edit = addKeywordArgument(context, call, `callbacks=[${callback}]`);
  else {
    const items = callbacks.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment');
    const last = items[items.length - 1];
    const at = last ? last.endPosition : callbacks.firstChild!.endPosition;
    edit = { range: { start: { line: at.row, character: at.column }, end: { line: at.row, character: at.column } }, newText: last ? `, ${callback}` : callback };
  }
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

/** `callbacks=` given as something other than a list literal (built elsewhere, maybe with early stopping). */
function hasUnknownCallbacks(call: Node): boolean {
  const callbacks = keywordValue(call, 'callbacks');
  return callbacks !== null && callbacks.type !== 'list';
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
    if (count === null || count < MIN_EPOCHS || hasUnknownCallbacks(call)) continue;
    report(call, 'This Keras fit()', count, 'Add keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True) to callbacks.');
  }
  return [];
}
