/**
 * Where each key of a TOML document is written, so that a problem with a value can be shown on its key.
 * smol-toml parses values but keeps no positions, so this is a small scanner of TOML's structure: table headers
 * (`[a.b]`, `[[a.b]]` with their element index), dotted / quoted / literal keys, and inline tables and arrays,
 * which it enters to record the keys inside. Values are skipped token by token (strings with their escapes and
 * multi-line forms, arrays, inline tables, scalars up to their delimiter), never matched with patterns.
 * It runs only on text that smol-toml accepted, and stops quietly at anything it does not expect.
 */
import type { Range } from 'vscode-languageserver-types';
import { LineIndex } from '../configs/positions';

/** Path of a key: table and key segments, array-of-tables and array elements as their index (`['tool', 'x', '0']`). */
export type KeyPath = readonly string[];

export class TomlKeyIndex {
  private readonly ranges = new Map<string, Range>();

  constructor(readonly lines: LineIndex) {}

  /** The first place the key (or the table it names) is written; later mentions (e.g. `[a.b]` after `[a]`) keep it. */
  rangeOf(path: KeyPath): Range | undefined {
    return this.ranges.get(JSON.stringify(path));
  }

  /** The range of the longest prefix of `path` that is written in the file. */
  nearest(path: KeyPath): { path: KeyPath; range: Range } | undefined {
    for (let length = path.length; length > 0; length--) {
      const prefix = path.slice(0, length);
      const range = this.rangeOf(prefix);
      if (range) return { path: prefix, range };
    }
    return undefined;
  }

  /** Every recorded path (for tests and debugging). */
  paths(): KeyPath[] {
    return [...this.ranges.keys()].map((key) => JSON.parse(key) as string[]);
  }

  record(path: KeyPath, start: number, end: number): void {
    const key = JSON.stringify(path);
    if (!this.ranges.has(key)) this.ranges.set(key, this.lines.range(start, end));
  }
}

export function indexTomlKeys(text: string): TomlKeyIndex {
  const index = new TomlKeyIndex(new LineIndex(text));
  try {
    new Scanner(text, index).document();
  } catch (error) {
    if (!(error instanceof Unexpected)) throw error;
    // Text smol-toml rejected, or a construct this scanner does not know: keep the keys found before it.
  }
  return index;
}

class Unexpected extends Error {}

const BARE_KEY = /[A-Za-z0-9_-]/;

class Scanner {
  private at = 0;
  /** Elements seen so far of each array of tables, by its path. */
  private readonly arrayTables = new Map<string, number>();

  constructor(
    private readonly text: string,
    private readonly index: TomlKeyIndex,
  ) {}

  document(): void {
    let table: string[] = [];
    for (;;) {
      this.skipBlank(true);
      if (this.at >= this.text.length) return;
      if (this.text[this.at] === '[') {
        table = this.header();
      } else {
        this.keyValue(table);
      }
      this.skipBlank(false);
      if (this.at < this.text.length && this.text[this.at] !== '\n' && this.text[this.at] !== '\r') throw new Unexpected();
    }
  }

  /** `[a.b]` or `[[a.b]]`; returns the path of the table that the following key/value lines belong to. */
  private header(): string[] {
    const isArray = this.text.startsWith('[[', this.at);
    this.at += isArray ? 2 : 1;
    const keys = this.key();
    const path: string[] = [];
    keys.forEach((segment, i) => {
      path.push(segment.name);
      this.index.record(path, segment.start, segment.end);
      // A segment that names an array of tables refers to its latest element (TOML's rule for `[a.b]` after `[[a]]`).
      const count = this.arrayTables.get(JSON.stringify(path));
      if (count !== undefined && i < keys.length - 1) path.push(String(count - 1));
    });
    if (isArray) {
      const key = JSON.stringify(path);
      const element = this.arrayTables.get(key) ?? 0;
      this.arrayTables.set(key, element + 1);
      path.push(String(element));
      const last = keys[keys.length - 1]!;
      this.index.record(path, last.start, last.end);
    }
    this.skipBlank(false);
    this.expect(isArray ? ']]' : ']');
    return path;
  }

  private keyValue(table: readonly string[]): void {
    const path = this.dottedKey(table);
    this.skipBlank(false);
    this.expect('=');
    this.skipBlank(false);
    this.value(path);
  }

  /** Reads a dotted key under `parent`, recording each prefix; returns the full path. */
  private dottedKey(parent: readonly string[]): string[] {
    const path = [...parent];
    for (const segment of this.key()) {
      path.push(segment.name);
      this.index.record(path, segment.start, segment.end);
    }
    return path;
  }

  /** The segments of a (possibly dotted) key, each with the offsets of its text including quotes. */
  private key(): { name: string; start: number; end: number }[] {
    const segments: { name: string; start: number; end: number }[] = [];
    for (;;) {
      this.skipBlank(false);
      const start = this.at;
      const char = this.text[this.at];
      let name: string;
      if (char === '"') name = this.basicString();
      else if (char === "'") name = this.literalString();
      else {
        while (this.at < this.text.length && BARE_KEY.test(this.text[this.at]!)) this.at++;
        if (this.at === start) throw new Unexpected();
        name = this.text.slice(start, this.at);
      }
      segments.push({ name, start, end: this.at });
      this.skipBlank(false);
      if (this.text[this.at] !== '.') return segments;
      this.at++;
    }
  }

  private value(path: readonly string[]): void {
    const char = this.text[this.at];
    if (char === '"') {
      if (this.text.startsWith('"""', this.at)) this.multiLineString('"""', true);
      else this.basicString();
    } else if (char === "'") {
      if (this.text.startsWith("'''", this.at)) this.multiLineString("'''", false);
      else this.literalString();
    } else if (char === '[') {
      this.array(path);
    } else if (char === '{') {
      this.inlineTable(path);
    } else {
      // Numbers, booleans and date-times (which may contain one space): up to the next delimiter.
      const start = this.at;
      while (this.at < this.text.length && !',]}\n\r#'.includes(this.text[this.at]!)) this.at++;
      if (this.text.slice(start, this.at).trim() === '') throw new Unexpected();
    }
  }

  private array(path: readonly string[]): void {
    this.at++;
    for (let element = 0; ; element++) {
      this.skipBlank(true);
      if (this.text[this.at] === ']') break;
      this.value([...path, String(element)]);
      this.skipBlank(true);
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== ']') throw new Unexpected();
    }
    this.at++;
  }

  private inlineTable(path: readonly string[]): void {
    this.at++;
    for (;;) {
      // TOML 1.0 keeps inline tables on one line; newlines are allowed here for TOML 1.1 and cost nothing.
      this.skipBlank(true);
      if (this.text[this.at] === '}') break;
      this.keyValue(path);
      this.skipBlank(true);
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== '}') throw new Unexpected();
    }
    this.at++;
  }

  /** `"…"` with backslash escapes; returns the unescaped text (enough for key names: \" \\ \uXXXX). */
  private basicString(): string {
    this.at++;
    let value = '';
    while (this.at < this.text.length) {
      const char = this.text[this.at]!;
      if (char === '"') {
        this.at++;
        return value;
      }
      if (char === '\n') break;
      if (char === '\\') {
        value += this.escape();
        continue;
      }
      value += char;
      this.at++;
    }
    throw new Unexpected();
  }

  private escape(): string {
    const code = this.text[this.at + 1];
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\' };
    if (code !== undefined && simple[code] !== undefined) {
      this.at += 2;
      return simple[code]!;
    }
    const digits = code === 'u' ? 4 : code === 'U' ? 8 : code === 'x' ? 2 : 0;
    if (digits === 0) throw new Unexpected();
    const hex = this.text.slice(this.at + 2, this.at + 2 + digits);
    if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== digits) throw new Unexpected();
    this.at += 2 + digits;
    return String.fromCodePoint(parseInt(hex, 16));
  }

  private literalString(): string {
    const end = this.text.indexOf("'", this.at + 1);
    const newline = this.text.indexOf('\n', this.at + 1);
    if (end === -1 || (newline !== -1 && newline < end)) throw new Unexpected();
    const value = this.text.slice(this.at + 1, end);
    this.at = end + 1;
    return value;
  }

  /** `"""…"""` or `'''…'''`; the closing delimiter may be followed by up to two quotes that belong to the content. */
  private multiLineString(delimiter: string, escapes: boolean): void {
    this.at += 3;
    while (this.at < this.text.length) {
      if (escapes && this.text[this.at] === '\\') {
        this.at += 2;
        continue;
      }
      if (this.text.startsWith(delimiter, this.at)) {
        this.at += 3;
        for (let extra = 0; extra < 2 && this.text[this.at] === delimiter[0]; extra++) this.at++;
        return;
      }
      this.at++;
    }
    throw new Unexpected();
  }

  /** Spaces, tabs and comments; also newlines when `newlines` (between lines, inside arrays). */
  private skipBlank(newlines: boolean): void {
    while (this.at < this.text.length) {
      const char = this.text[this.at]!;
      if (char === ' ' || char === '\t' || (newlines && (char === '\n' || char === '\r'))) {
        this.at++;
      } else if (char === '#') {
        while (this.at < this.text.length && this.text[this.at] !== '\n') this.at++;
      } else {
        return;
      }
    }
  }

  private expect(token: string): void {
    if (!this.text.startsWith(token, this.at)) throw new Unexpected();
    this.at += token.length;
  }
}
