/**
 * Runs the Python analysis on a notebook: its code cells as one program (program.ts), findings, related
 * locations and quick-fix edits mapped back to (cell, line, column). Shared by the language server (cells
 * are LSP text documents) and the CLI (cells read from the .ipynb JSON). A fix whose edits would touch two
 * cells at once is dropped rather than applied half-way.
 */
import type { Range, TextEdit } from 'vscode-languageserver-types';
import type { Parser } from 'web-tree-sitter';
import type { Severity } from '../../../shared/src/ruleMeta';
import type { Settings } from '../../../shared/src/settings';
import { analyzePython, precheck, type RuleFailure } from '../analysis/engine';
import type { FindingSaving, ScriptEstimate } from '../estimates/estimate';
import { buildProgram, toCellRange, toEditRange, type NotebookProgram, type ProgramCell } from './program';

export interface CellEdit {
  cell: number;
  edit: TextEdit;
}

export interface CellFix {
  title: string;
  preferred: boolean;
  edits: CellEdit[];
}

export interface CellRelated {
  cell: number;
  range: Range;
  message: string;
}

export interface CellFinding {
  /** The cell's index among all cells of the notebook, as given in `ProgramCell.index`. */
  cell: number;
  ruleId: string;
  severity: Severity;
  /** Within the cell. */
  range: Range;
  message: string;
  fixes: CellFix[];
  related: CellRelated[];
  saving?: FindingSaving;
}

export interface NotebookOutcome {
  findings: CellFinding[];
  failures: RuleFailure[];
  program: NotebookProgram;
  /** The run the notebook trains, its entry (for the code lens) within `cell`; null when it does not train. */
  estimate: { cell: number; estimate: ScriptEstimate } | null;
}

export function analyzeNotebook(parser: Parser, cells: readonly ProgramCell[], uri: string, settings: Settings): NotebookOutcome {
  const program = buildProgram(cells);
  const firstCell = cells[0]?.index ?? 0;
  const note = precheck(program.text, settings);
  if (note) return { findings: [{ ...note, cell: firstCell, fixes: [], related: [] }], failures: [], program, estimate: null };
  const tree = parser.parse(program.text);
  if (!tree) return { findings: [], failures: [{ ruleId: 'parse', uri, error: new Error(`tree-sitter could not parse ${uri}`) }], program, estimate: null };
  try {
    const outcome = analyzePython(tree, program.text, uri, settings);
    const findings = outcome.findings.flatMap((finding): CellFinding[] => {
      const located = toCellRange(program, finding.range);
      if (!located) return [];
      return [
        {
          cell: located.cell,
          ruleId: finding.ruleId,
          severity: finding.severity,
          range: located.range,
          message: finding.message,
          fixes: finding.fixes.flatMap((fix) => {
            const edits = fix.edits.map((edit) => {
              const target = toEditRange(program, edit.range);
              return target ? { cell: target.cell, edit: { range: target.range, newText: edit.newText } } : null;
            });
            return edits.every((edit) => edit !== null) ? [{ title: fix.title, preferred: fix.preferred, edits: edits as CellEdit[] }] : [];
          }),
          related: finding.related.flatMap((related) => {
            const target = toCellRange(program, related.range);
            return target ? [{ cell: target.cell, range: target.range, message: related.message }] : [];
          }),
          ...(finding.saving ? { saving: finding.saving } : {}),
        },
      ];
    });
    const entry = outcome.estimate ? toCellRange(program, outcome.estimate.entry) : null;
    const estimate = outcome.estimate && entry ? { cell: entry.cell, estimate: { ...outcome.estimate, entry: entry.range } } : null;
    return { findings, failures: outcome.failures, program, estimate };
  } finally {
    tree.delete();
  }
}
