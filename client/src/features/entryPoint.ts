/**
 * Where a Python script starts its work, for the "▶ Run with energy profiling" lens: the `if __name__ == "__main__":`
 * guard, else the top-level training loop, else a top-level `trainer.train()` / `.fit(…)` call.
 * Pure and line-based (no vscode, no parser) so that it is cheap on every lens request and unit-testable; the
 * language server's own analysis stays the authority on what a training loop is, this only places a button.
 */

export type EntryPointKind = 'main-guard' | 'training-loop' | 'training-call';

export interface EntryPoint {
  /** 0-based line of the statement. */
  line: number;
  kind: EntryPointKind;
}

const MAIN_GUARD = /^if\s+(__name__\s*==\s*(['"])__main__\2|(['"])__main__\3\s*==\s*__name__)\s*:/;
const TOP_LEVEL_LOOP = /^(for|while|async\s+for)\b/;
/** Signs that a loop trains: a backward pass, an optimiser step, epochs, or a framework's fit/train call. */
const TRAINING_MARKERS = /\.backward\(|\boptimi[sz]er\w*\.step\(|\bepochs?\b|\.fit\(|\btrainer\.train\(|\btrain_step\(|\btrain(_one)?_epoch\(/;
const TRAINING_CALL = /^(\w+\s*=\s*)?\w*(trainer|Trainer)\w*\.(train|fit)\(|^(\w+\s*=\s*)?\w+\.fit\(/;

/** Lines of `text` that are code at module level (column 0), with triple-quoted strings and comments blanked out. */
function codeLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  let openQuote: string | undefined;
  return lines.map((line) => {
    let code = '';
    let index = 0;
    while (index < line.length) {
      if (openQuote) {
        const close = line.indexOf(openQuote, index);
        if (close < 0) return code.length > 0 ? code : '\u0000';
        index = close + 3;
        openQuote = undefined;
        code += ' ';
        continue;
      }
      const rest = line.slice(index);
      const triple = /^[rRbBuUfF]{0,2}("""|''')/.exec(rest);
      if (triple && (index === 0 || !/\w/.test(line[index - 1] ?? ''))) {
        openQuote = triple[1];
        index += triple[0].length;
        code += ' ';
        continue;
      }
      const char = line[index]!;
      if (char === '#') break;
      if (char === '"' || char === "'") {
        // A one-line string: skip to its closing quote so that a '#' or quote inside it is not read as code.
        let end = index + 1;
        while (end < line.length && line[end] !== char) end += line[end] === '\\' ? 2 : 1;
        code += ' '.repeat(Math.min(end + 1, line.length) - index);
        index = end + 1;
        continue;
      }
      code += char;
      index++;
    }
    return code;
  });
}

/** The script's entry point, or undefined when it has none this heuristic recognises. */
export function findEntryPoint(text: string): EntryPoint | undefined {
  const lines = codeLines(text);
  // The guard is matched on the raw line: codeLines blanks the "__main__" string.
  const raw = text.split(/\r?\n/);
  const guard = raw.findIndex((line, index) => MAIN_GUARD.test(line) && lines[index]?.startsWith('if'));
  if (guard >= 0) return { line: guard, kind: 'main-guard' };

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (!TOP_LEVEL_LOOP.test(line)) continue;
    const end = blockEnd(lines, index);
    const block = lines.slice(index, end).join('\n');
    if (TRAINING_MARKERS.test(block)) return { line: index, kind: 'training-loop' };
  }

  const call = lines.findIndex((line) => TRAINING_CALL.test(line));
  if (call >= 0) return { line: call, kind: 'training-call' };
  return undefined;
}

/** The line after the indented block that starts at `start` (the next non-blank line back at column 0). */
function blockEnd(lines: string[], start: number): number {
  for (let index = start + 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === '' || line === '\u0000') continue;
    if (!/^\s/.test(line)) return index;
  }
  return lines.length;
}
