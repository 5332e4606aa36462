/**
 * Re-parsing a large YAML file on every keystroke costs ~20 ms per thousand lines (the `yaml` composer, then its
 * garbage). Most edits stay inside one top-level entry of a block map — a key at column 0 and the lines up to the next
 * one — so only that entry's text is parsed again and spliced into the previous result, the entries after it shifted
 * by the edit's length. Anything this cannot prove safe (several documents, anchors or aliases in the edited entry,
 * an edit that touches an entry boundary, a parse problem before or after) falls back to a full parse, and a property
 * test checks that every incremental result equals a full parse of the same text.
 */
import type { ConfigEntry, ConfigNode } from './tree';
import type { ParsedData } from './yaml';

export interface PreviousParse {
  text: string;
  parsed: ParsedData;
}

/**
 * The parse of `text` built from `previous` by re-parsing only the top-level entry the edit falls in, or null when
 * that cannot be done safely. `convertEntry` parses the entry's text into its one ConfigEntry (offsets in that text),
 * or null when that text has a parse problem or is not exactly one block-map entry.
 */
export function reparseEditedEntry(previous: PreviousParse, text: string, convertEntry: (entryText: string) => ConfigEntry | null): ParsedData | null {
  const { parsed } = previous;
  const before = previous.text;
  if (parsed.problem || parsed.documents.length !== 1) return null;
  const document = parsed.documents[0]!;
  const root = document.root;
  if (!root || root.type !== 'map' || root.flow || root.entries.length === 0) return null;

  const prefix = commonPrefix(before, text);
  const suffix = commonSuffix(before, text, prefix);
  const oldEnd = before.length - suffix;
  const delta = text.length - before.length;

  // The entry whose block (its key line up to the next key line) strictly contains the edited span.
  const entries = root.entries;
  const index = lastIndexAtOrBefore(entries, prefix);
  if (index < 0) return null;
  const entry = entries[index]!;
  const blockStart = entry.keySpan.start;
  if (blockStart !== 0 && before[blockStart - 1] !== '\n') return null;
  // The last entry decides where the root map ends (its value, or the key alone): it is parsed in full with the rest.
  const next = entries[index + 1];
  if (!next) return null;
  const blockEnd = next.keySpan.start;
  if (before[blockEnd - 1] !== '\n') return null;
  if (prefix <= blockStart || oldEnd >= blockEnd) return null;
  const newBlockEnd = blockEnd + delta;
  if (text[newBlockEnd - 1] !== '\n') return null;

  const oldBlock = before.slice(blockStart, blockEnd);
  const newBlock = text.slice(blockStart, newBlockEnd);
  // Anchors and aliases tie entries together; directives and document markers change how the whole stream parses.
  if (/[&*%]|^(---|\.\.\.)/m.test(oldBlock) || /[&*%]|^(---|\.\.\.)/m.test(newBlock)) return null;
  const replacement = convertEntry(newBlock);
  if (!replacement || replacement.keySpan.start !== 0) return null;

  const shifted: ConfigEntry[] = [
    ...entries.slice(0, index),
    shiftEntry(replacement, blockStart),
    ...entries.slice(index + 1).map((later) => shiftEntry(later, delta)),
  ];
  return { documents: [{ root: { ...root, entries: shifted, end: root.end + delta }, headComment: document.headComment }], problem: null };
}

/** The index of the last entry whose key starts at or before `offset`. */
function lastIndexAtOrBefore(entries: readonly ConfigEntry[], offset: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.keySpan.start <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function commonPrefix(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function commonSuffix(a: string, b: string, prefix: number): number {
  const limit = Math.min(a.length, b.length) - prefix;
  let i = 0;
  while (i < limit && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

function shiftEntry(entry: ConfigEntry, by: number): ConfigEntry {
  if (by === 0) return entry;
  return {
    key: entry.key,
    keySpan: { start: entry.keySpan.start + by, end: entry.keySpan.end + by },
    value: entry.value ? shiftNode(entry.value, by) : null,
    span: { start: entry.span.start + by, end: entry.span.end + by },
  };
}

function shiftNode(node: ConfigNode, by: number): ConfigNode {
  switch (node.type) {
    case 'map':
      return { ...node, entries: node.entries.map((entry) => shiftEntry(entry, by)), start: node.start + by, end: node.end + by };
    case 'seq':
      return { ...node, items: node.items.map((item) => shiftNode(item, by)), start: node.start + by, end: node.end + by };
    case 'scalar':
      return { ...node, start: node.start + by, end: node.end + by };
  }
}
