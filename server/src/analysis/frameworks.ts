/**
 * FRAMEWORK-DELEGATED: which frameworks own precision, device placement and the loop in this file.
 * Rules about a hand-written loop stay silent where a framework runs it.
 */
import type { Node } from 'web-tree-sitter';
import type { ImportTable } from './imports';

/** The last segment of a dotted name (`transformers.Trainer` → `Trainer`), without splitting it. */
function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

export type Framework = 'lightning' | 'fabric' | 'hf-trainer' | 'accelerate' | 'deepspeed' | 'keras';

export function detectFrameworks(calls: readonly Node[], imports: ImportTable): Set<Framework> {
  const found = new Set<Framework>();
  if (imports.importsModule('lightning') || imports.importsModule('pytorch_lightning')) found.add('lightning');
  if (imports.importsModule('keras') || imports.importsModule('tensorflow')) found.add('keras');
  for (const call of calls) {
    const name = imports.qualifiedCallee(call) ?? '';
    const last = lastSegment(name);
    if (last === 'Fabric') found.add('fabric');
    else if (last === 'Accelerator') found.add('accelerate');
    else if (name === 'deepspeed.initialize') found.add('deepspeed');
    else if (/Trainer$/.test(last) && (name.startsWith('transformers') || name.startsWith('trl'))) found.add('hf-trainer');
  }
  return found;
}

const HF_ARGUMENT_CLASSES = new Set([
  'TrainingArguments', 'Seq2SeqTrainingArguments', 'SFTConfig', 'DPOConfig', 'GRPOConfig', 'ORPOConfig', 'KTOConfig', 'RewardConfig', 'CPOConfig',
]);

/** `TrainingArguments(...)` and TRL's config subclasses: where a Hugging Face Trainer's run is configured. */
export function huggingFaceArgumentCalls(calls: readonly Node[], imports: ImportTable): Node[] {
  return calls.filter((call) => {
    const qualified = imports.qualifiedCallee(call) ?? '';
    const last = lastSegment(qualified);
    if (!HF_ARGUMENT_CLASSES.has(last)) return false;
    return !qualified.includes('.') || qualified.startsWith('transformers') || qualified.startsWith('trl');
  });
}

/** Lightning's `Trainer(...)` (either package name), and `Fabric(...)`. */
export function lightningTrainerCalls(calls: readonly Node[], imports: ImportTable): Node[] {
  return calls.filter((call) => {
    const qualified = imports.qualifiedCallee(call) ?? '';
    return /^(lightning|pytorch_lightning)(\.pytorch|\.fabric)?\.(Trainer|Fabric)$/.test(qualified) ||
      /^(lightning|pytorch_lightning)\.(trainer\.)?(trainer\.)?Trainer$/.test(qualified);
  });
}
