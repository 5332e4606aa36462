/**
 * A notebook's code cells as one Python program, the way the kernel runs them (top to bottom), with a line
 * table back to (cell, line). IPython syntax that is not Python (`%magic`, `!shell`, `x = !cmd`, `obj?`,
 * `%%cell` magics) is blanked line by line, so every program line is exactly one cell line and columns are
 * unchanged: mapping a position is a table lookup. Pure: no parser, no connection.
 */
import type { Position, Range } from 'vscode-languageserver-types';

export interface ProgramCell {
  /** The cell's index among all cells of the notebook (markdown and raw cells included), as the caller numbers them. */
  index: number;
  text: string;
}

export interface CellPosition {
  cell: number;
  position: Position;
}

export interface CellRange {
  cell: number;
  range: Range;
}

export interface NotebookProgram {
  /** The concatenated Python source, cells separated by one newline. */
  text: string;
  /** Program line → the cell and the line within it. */
  readonly lines: readonly { cell: number; line: number }[];
  /** Cell index → its first program line and line count (code cells only). */
  readonly cells: ReadonlyMap<number, { first: number; count: number; lastLineLength: number }>;
}

/**
 * Cell magics whose body is Python that the kernel runs (`%%time` around a training loop is common); the body of
 * any other cell magic (`%%bash`, `%%writefile`, `%%html`…) is another language and is blanked.
 */
const PYTHON_BODY_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun', 'debug', 'memit', 'mprun']);

const CELL_MAGIC = /^%%([A-Za-z_][\w-]*)/;
const LINE_MAGIC = /^(\s*)(?:%|!)/;
const ASSIGNED_MAGIC = /^(\s*)[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]/;
const HELP = /^(\s*)(?:\?{1,2}[A-Za-z_][\w.]*|[A-Za-z_][\w.]*\?{1,2})\s*$/;

/**
 * The cell's lines with IPython-only lines blanked. An indented magic becomes `pass` so that a block whose
 * only statement it was still parses; a top-level one becomes an empty line.
 */
export function blankMagics(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const cellMagic = CELL_MAGIC.exec(lines[0] ?? '');
  if (cellMagic) {
    if (!PYTHON_BODY_CELL_MAGICS.has(cellMagic[1]!)) return lines.map(() => '');
    lines[0] = '';
  }
  return lines.map((line) => {
    const match = LINE_MAGIC.exec(line) ?? ASSIGNED_MAGIC.exec(line) ?? HELP.exec(line);
    if (!match) return line;
    const indentation = match[1]!;
    return indentation.length > 0 ? `${indentation}pass` : '';
  });
}

export function buildProgram(cells: readonly ProgramCell[]): NotebookProgram {
  const lines: { cell: number; line: number }[] = [];
  const spans = new Map<number, { first: number; count: number; lastLineLength: number }>();
  const parts: string[] = [];
  for (const cell of cells) {
    const cellLines = blankMagics(cell.text);
    // Positions map back to the cell's own text, so its real last-line length bounds clamped ranges.
    const original = cell.text.split(/\r?\n/);
    spans.set(cell.index, { first: lines.length, count: cellLines.length, lastLineLength: original[original.length - 1]!.length });
    cellLines.forEach((_, line) => lines.push({ cell: cell.index, line }));
    parts.push(cellLines.join('\n'));
  }
  return { text: parts.join('\n'), lines, cells: spans };
}

/** The cell position of a program position. Positions past the end fall on the last line. */
export function toCell(program: NotebookProgram, position: Position): CellPosition | null {
  const entry = program.lines[Math.min(position.line, program.lines.length - 1)];
  if (!entry) return null;
  return { cell: entry.cell, position: { line: entry.line, character: position.character } };
}

/** The program position of a position in a cell, or null when the cell is not part of the program. */
export function toProgram(program: NotebookProgram, cell: number, position: Position): Position | null {
  const span = program.cells.get(cell);
  if (!span) return null;
  return { line: span.first + Math.min(position.line, span.count - 1), character: position.character };
}

/** A program range in cell coordinates; one that runs into a later cell is cut at the end of its first cell (for display). */
export function toCellRange(program: NotebookProgram, range: Range): CellRange | null {
  const start = toCell(program, range.start);
  const end = toCell(program, range.end);
  if (!start || !end) return null;
  if (end.cell === start.cell) return { cell: start.cell, range: { start: start.position, end: end.position } };
  return { cell: start.cell, range: { start: start.position, end: endOfCell(program, start.cell) } };
}

/**
 * A program range for an edit, in cell coordinates, or null when the edit would change two cells (applying it
 * would corrupt both). An end at the very start of the next cell (a deleted last line with its newline) stops at
 * the end of the edited cell instead: the newline between cells is not the cell's to delete.
 */
export function toEditRange(program: NotebookProgram, range: Range): CellRange | null {
  const start = toCell(program, range.start);
  let end = toCell(program, range.end);
  if (!start || !end) return null;
  if (end.cell !== start.cell && end.position.line === 0 && end.position.character === 0 && nextCell(program, start.cell) === end.cell) {
    end = { cell: start.cell, position: endOfCell(program, start.cell) };
  }
  if (end.cell !== start.cell) return null;
  return { cell: start.cell, range: { start: start.position, end: end.position } };
}

function endOfCell(program: NotebookProgram, cell: number): Position {
  const span = program.cells.get(cell)!;
  return { line: span.count - 1, character: span.lastLineLength };
}

function nextCell(program: NotebookProgram, cell: number): number | undefined {
  const span = program.cells.get(cell);
  return span ? program.lines[span.first + span.count]?.cell : undefined;
}
