/**
 * A careful tokenizer for the shell scripts that launch training (SLURM batch scripts, run_*.sh): simple
 * commands as words with source offsets. It handles single/double quotes, backslash escapes and `\`-newline
 * continuations, comments, `;` `&&` `||` `|` `&` `(` `)` separators, redirections and here-documents (their
 * bodies are not commands). Expansions (`$VAR`, `${VAR}`, `$(...)`, backticks) are kept as written and
 * mark the word `dynamic`: nothing is resolved, so a rule never guesses a value that depends on the environment.
 */
import type { Span } from './tree';

export interface Word extends Span {
  /** The word after quote removal, expansions kept as written (`--nproc_per_node=$NGPU`). */
  text: string;
  /** Contains an expansion whose value is only known at run time. */
  dynamic: boolean;
}

export interface Command extends Span {
  words: Word[];
}

export interface Comment extends Span {
  text: string;
}

export interface ShellScript {
  commands: Command[];
  comments: Comment[];
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'for', 'in', 'case', 'esac', '!', '{', '}', 'time', 'exec', 'nohup']);

export function tokenizeShell(text: string, base = 0): ShellScript {
  const commands: Command[] = [];
  const comments: Comment[] = [];
  let words: Word[] = [];
  let word: { text: string; start: number; dynamic: boolean } | null = null;
  const pendingHeredocs: { delimiter: string; stripTabs: boolean }[] = [];
  let skipNextWord: 'redirect' | 'heredoc' | null = null;
  let heredocStrip = false;

  const endWord = (at: number) => {
    if (!word) return;
    const finished: Word = { text: word.text, start: base + word.start, end: base + at, dynamic: word.dynamic };
    word = null;
    if (skipNextWord === 'heredoc') {
      pendingHeredocs.push({ delimiter: finished.text, stripTabs: heredocStrip });
      skipNextWord = null;
    } else if (skipNextWord === 'redirect') {
      skipNextWord = null;
    } else {
      words.push(finished);
    }
  };
  const endCommand = () => {
    if (words.length > 0) commands.push({ words, start: words[0]!.start, end: words[words.length - 1]!.end });
    words = [];
  };
  const append = (at: number, chars: string, dynamic = false) => {
    word ??= { text: '', start: at, dynamic: false };
    word.text += chars;
    if (dynamic) word.dynamic = true;
  };

  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2; // continuation: the next line goes on the same command (and word)
      continue;
    }
    if (c === '\\' && text[i + 1] === '\r' && text[i + 2] === '\n') {
      i += 3;
      continue;
    }
    if (c === '\n') {
      endWord(i);
      endCommand();
      i++;
      if (pendingHeredocs.length > 0) i = skipHeredocBodies(text, i, pendingHeredocs.splice(0));
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord(i);
      i++;
      continue;
    }
    if (c === '#' && !word) {
      const end = lineEndFrom(text, i);
      comments.push({ text: text.slice(i, end), start: base + i, end: base + end });
      i = end;
      continue;
    }
    if (c === ';' || c === '|' || c === '(' || c === ')' || (c === '&' && text[i + 1] !== '>')) {
      endWord(i);
      endCommand();
      i += (c === '|' || c === '&' || c === ';') && text[i + 1] === c ? 2 : 1;
      continue;
    }
    if (c === '<' || c === '>' || (c === '&' && text[i + 1] === '>')) {
      if (/^\d+$/.test((word as { text: string } | null)?.text ?? '')) word = null; // the fd number of `2>`
      endWord(i);
      let j = i + 1;
      if (c === '<' && text[j] === '<') {
        j++;
        heredocStrip = text[j] === '-';
        if (heredocStrip) j++;
        if (text[j] === '<') {
          j++; // here-string <<<: the next word is its content
          skipNextWord = 'redirect';
        } else {
          skipNextWord = 'heredoc';
        }
      } else {
        while (text[j] === '>' || text[j] === '&' || text[j] === '|') j++;
        // `2>&1`: the target is a fd number, read as the skipped word
        skipNextWord = 'redirect';
      }
      i = j;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const end = close === -1 ? n : close;
      append(i, text.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const start = i;
      append(start, '');
      i++;
      while (i < n && text[i] !== '"') {
        const d = text[i]!;
        if (d === '\\' && i + 1 < n) {
          const next = text[i + 1]!;
          if (next === '\n') i += 2;
          else if ('"\\$`'.includes(next)) {
            append(start, next);
            i += 2;
          } else {
            append(start, d);
            i++;
          }
        } else if (d === '$' || d === '`') {
          const end = expansionEnd(text, i);
          append(start, text.slice(i, end), true);
          i = end;
        } else {
          append(start, d);
          i++;
        }
      }
      i++;
      continue;
    }
    if (c === '\\') {
      append(i, text[i + 1] ?? '');
      i += 2;
      continue;
    }
    if (c === '$' || c === '`') {
      const end = expansionEnd(text, i);
      append(i, text.slice(i, end), end - i > 1);
      i = end;
      continue;
    }
    append(i, c);
    i++;
  }
  endWord(n);
  endCommand();
  return { commands, comments };
}

/** Words of a command after leading keywords (`then`, `time`, `exec`) and `VAR=value` assignments. */
export function programOf(command: Command): { assignments: Word[]; program: Word[] } {
  let index = 0;
  const assignments: Word[] = [];
  while (index < command.words.length) {
    const word = command.words[index]!;
    if (KEYWORDS.has(word.text)) index++;
    else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word.text)) {
      assignments.push(word);
      index++;
    } else break;
  }
  return { assignments, program: command.words.slice(index) };
}

function lineEndFrom(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  const at = end === -1 ? text.length : end;
  return at > from && text[at - 1] === '\r' ? at - 1 : at;
}

/** End offset of `$VAR`, `${...}`, `$(...)`, `$((...))` or a backtick substitution starting at `i`. */
function expansionEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '`') {
    const close = text.indexOf('`', i + 1);
    return close === -1 ? text.length : close + 1;
  }
  const next = text[i + 1];
  if (next === '{' || next === '(') {
    const open = next;
    const close = open === '{' ? '}' : ')';
    let depth = 0;
    for (let j = i + 1; j < text.length; j++) {
      const d = text[j];
      if (d === "'" && open === '(') {
        const q = text.indexOf("'", j + 1);
        j = q === -1 ? text.length : q;
      } else if (d === open) depth++;
      else if (d === close && --depth === 0) return j + 1;
    }
    return text.length;
  }
  let j = i + 1;
  if (j < text.length && /[@*#?$!0-9-]/.test(text[j]!)) return j + 1;
  while (j < text.length && /[A-Za-z0-9_]/.test(text[j]!)) j++;
  return j;
}

function skipHeredocBodies(text: string, from: number, heredocs: { delimiter: string; stripTabs: boolean }[]): number {
  let i = from;
  for (const { delimiter, stripTabs } of heredocs) {
    while (i < text.length) {
      const end = text.indexOf('\n', i);
      const lineEnd = end === -1 ? text.length : end;
      let line = text.slice(i, lineEnd).replace(/\r$/, '');
      if (stripTabs) line = line.replace(/^\t+/, '');
      i = end === -1 ? text.length : end + 1;
      if (line === delimiter) break;
    }
  }
  return i;
}
