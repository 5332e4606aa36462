/**
 * One open document with its syntax tree, kept in step with the editor by incremental edits:
 * LSP content changes → tree-sitter `Edit` → `tree.edit()`, and the next `tree()` call re-parses
 * with the edited tree so tree-sitter reuses every unchanged subtree. Several keystrokes between two
 * analyses cost one parse. Positions are UTF-16 code units on both sides, so no conversion is needed.
 */
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { Edit, type Parser, type Point, type Tree } from 'web-tree-sitter';

export class ParsedDocument {
  private current: TextDocument;
  private parsed: Tree | null = null;
  private stale = true;
  /** How many parses reused an edited tree; exposed for tests and the benchmark. */
  incrementalParses = 0;
  fullParses = 0;

  constructor(
    document: TextDocument,
    private readonly parser: Parser,
  ) {
    this.current = document;
  }

  get document(): TextDocument {
    return this.current;
  }

  get version(): number {
    return this.current.version;
  }

  applyChanges(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      if ('range' in change && this.parsed) {
        this.parsed.edit(editFor(this.current, change));
      } else if (!('range' in change)) {
        this.dropTree();
      }
      this.current = TextDocument.update(this.current, [change], version);
    }
    this.current = TextDocument.update(this.current, [], version);
    this.stale = true;
  }

  /** The tree for the current text; parses only when the text changed since the last call. */
  tree(): Tree {
    if (!this.stale && this.parsed) return this.parsed;
    const previous = this.parsed;
    const next = this.parser.parse(this.current.getText(), previous);
    if (!next) throw new Error(`tree-sitter returned no tree for ${this.current.uri}`);
    if (previous) {
      this.incrementalParses++;
      previous.delete();
    } else {
      this.fullParses++;
    }
    this.parsed = next;
    this.stale = false;
    return next;
  }

  dispose(): void {
    this.dropTree();
  }

  private dropTree(): void {
    this.parsed?.delete();
    this.parsed = null;
  }
}

function editFor(
  before: TextDocument,
  change: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string },
): Edit {
  const startIndex = before.offsetAt(change.range.start);
  const oldEndIndex = before.offsetAt(change.range.end);
  // Clamp through offsets: editors may send positions past a line's end.
  const start = before.positionAt(startIndex);
  const oldEnd = before.positionAt(oldEndIndex);
  const startPosition: Point = { row: start.line, column: start.character };
  const oldEndPosition: Point = { row: oldEnd.line, column: oldEnd.character };
  return new Edit({
    startIndex,
    oldEndIndex,
    newEndIndex: startIndex + change.text.length,
    startPosition,
    oldEndPosition,
    newEndPosition: endPointAfterInsert(startPosition, change.text),
  });
}

function endPointAfterInsert(start: Point, text: string): Point {
  const lastBreak = text.lastIndexOf('\n');
  if (lastBreak === -1) return { row: start.row, column: start.column + text.length };
  let rows = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) rows++;
  return { row: start.row + rows, column: text.length - lastBreak - 1 };
}
