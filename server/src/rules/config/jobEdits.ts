/** Edits of a job script for the GA701/GA702 quick fixes: change a directive's GPU count, drop a directive or a flag. */
import type { TextEdit } from 'vscode-languageserver-types';
import type { LineIndex } from '../../configs/positions';
import type { Directive } from '../../configs/slurm';
import type { Word } from '../../configs/shell';

/** `--gres=gpu:a100:4` → `gpu:a100:2`, `--gpus-per-node=4` → `2`; null for forms it does not rewrite safely. */
export function setGpuCount(lines: LineIndex, directive: Directive, count: number): TextEdit | null {
  if (!directive.value || !directive.valueSpan) return null;
  const pattern = directive.name === 'gres' ? /^(gpu(?::[^:,()]+)?:)(\d+)$/ : /^((?:[^:,]+:)?)(\d+)$/;
  const match = pattern.exec(directive.value);
  if (!match) return null;
  const start = directive.valueSpan.start + match[1]!.length;
  return { range: lines.range(start, start + match[2]!.length), newText: String(count) };
}

/** Deletes a directive: the whole `#SBATCH` line when it holds nothing else, else the option and the space before it. */
export function dropDirective(lines: LineIndex, directive: Directive): TextEdit {
  const line = lines.position(directive.span.start).line;
  const text = lines.lineText(line);
  const rest = (text.slice(0, directive.span.start - lines.lineStart(line)) + text.slice(directive.span.end - lines.lineStart(line))).replace(/\s#.*$/, '');
  if (rest.trim() === '#SBATCH') return { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' };
  let start = directive.span.start;
  while (start > 0 && (lines.text[start - 1] === ' ' || lines.text[start - 1] === '\t')) start--;
  return { range: lines.range(start, directive.span.end), newText: '' };
}

/** Deletes command words (a flag and its value) with the whitespace before them. */
export function dropWords(lines: LineIndex, first: Word, last: Word = first): TextEdit {
  let start = first.start;
  while (start > 0 && (lines.text[start - 1] === ' ' || lines.text[start - 1] === '\t')) start--;
  return { range: lines.range(start, last.end), newText: '' };
}

export function directiveText(directive: Directive): string {
  return `--${directive.name}${directive.value !== undefined ? `=${directive.value}` : ''}`;
}
