/**
 * Jupyter notebooks in the language server (LSP notebook document sync): the Python cells of an open notebook
 * are analysed as one program whenever any cell changes (debounced like other documents), and diagnostics are
 * published to each cell's own URI; cells that lose their findings or leave the notebook are cleared. Hovers
 * and code actions on a cell map its position into the program. A notebook's analysis failing is logged and
 * leaves its other features working.
 */
import {
  CodeActionKind,
  NotebookCellKind,
  NotebookDocuments,
  type CodeAction,
  type CodeActionParams,
  type CodeLens,
  type Connection,
  type Hover,
  type NotebookDocument,
  type Position,
  type TextEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Parser } from 'web-tree-sitter';
import { STATUS_NOTIFICATION, type StatusParams } from '../../../shared/src/protocol';
import { FILE_NOTE_ID, type Finding } from '../analysis/engine';
import { ruleDiagnosticsWanted, suppressOrDisableActions } from '../features/codeActions';
import { codeLensesFor } from '../features/codeLens';
import { dataHoverFor } from '../features/dataHover';
import { toDiagnostic } from '../features/diagnostics';
import type { ScriptEstimate } from '../estimates/estimate';
import { hoverFor } from '../features/hover';
import type { WorkspaceSettings } from '../workspace';
import { analyzeNotebook, type CellFinding } from './analyzeNotebook';
import { buildProgram, toCell, toProgram, type ProgramCell } from './program';

/** What the server registers for: Jupyter notebooks, their Python cells. */
export const NOTEBOOK_SYNC = { notebookSelector: [{ notebook: 'jupyter-notebook', cells: [{ language: 'python' }] }] };

interface NotebookResult {
  version: number;
  /** Cell URI → its findings, ranges within the cell. */
  byCell: Map<string, CellFinding[]>;
  /** The cell URIs in program order, to turn a `CellFinding.cell` index into a URI. */
  cellUris: string[];
  /** The run's estimate; its entry range is within `cellUri`, the cell with the training loop or `trainer.train()`. */
  estimate: { cellUri: string; estimate: ScriptEstimate } | null;
}

export class NotebookFeature {
  private readonly notebooks = new NotebookDocuments(TextDocument);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly results = new Map<string, NotebookResult>();
  /** Notebook URI → the cell URIs that last got non-empty diagnostics. */
  private readonly published = new Map<string, Set<string>>();
  /** Called after each publish (the server asks clients to refresh code lenses). */
  onPublished: ((uri: string) => void) | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly parser: Parser,
    private readonly workspace: WorkspaceSettings,
  ) {
    this.notebooks.listen(connection);
    this.notebooks.onDidOpen((notebook) => this.schedule(notebook.uri, 0));
    this.notebooks.onDidChange(({ notebookDocument }) => this.schedule(notebookDocument.uri));
    this.notebooks.onDidClose((notebook) => this.forget(notebook.uri));
  }

  /** Whether `uri` is a cell of an open notebook (then hovers and code actions come here). */
  handles(uri: string): boolean {
    return this.notebooks.findNotebookDocumentForCell(uri) !== undefined;
  }

  scheduleAll(): void {
    for (const uri of new Set([...this.timers.keys(), ...this.results.keys()])) this.schedule(uri);
  }

  schedule(uri: string, delayMs?: number): void {
    clearTimeout(this.timers.get(uri));
    const run = () => {
      this.timers.delete(uri);
      void this.publish(uri).catch((error: unknown) =>
        this.connection.console.error(`Analysis of notebook ${uri} failed: ${error instanceof Error ? error.stack : String(error)}`),
      );
    };
    if (delayMs === 0) return run();
    void this.workspace.settingsFor(uri).then((settings) => {
      clearTimeout(this.timers.get(uri));
      this.timers.set(uri, setTimeout(run, delayMs ?? settings.analysisDelayMs));
    });
  }

  /** The cell's findings at the notebook's current version, as plain findings in cell coordinates. */
  async findingsForCell(cellUri: string): Promise<Finding[]> {
    const notebook = this.notebooks.findNotebookDocumentForCell(cellUri);
    if (!notebook) return [];
    const result = await this.current(notebook);
    return (result?.byCell.get(cellUri) ?? []).map((finding) => asFinding(finding, cellUri, result!));
  }

  /** The run's estimate lens, on the cell that holds the training entry point. */
  async codeLenses(cellUri: string): Promise<CodeLens[]> {
    const notebook = this.notebooks.findNotebookDocumentForCell(cellUri);
    const result = notebook ? await this.current(notebook) : undefined;
    return result?.estimate?.cellUri === cellUri ? codeLensesFor(cellUri, result.estimate.estimate) : [];
  }

  async hover(cellUri: string, position: Position): Promise<Hover | null> {
    const onFinding = hoverFor(await this.findingsForCell(cellUri), position);
    if (onFinding) return onFinding;
    const notebook = this.notebooks.findNotebookDocumentForCell(cellUri);
    if (!notebook) return null;
    const { cells, uris } = this.programCells(notebook);
    const index = uris.indexOf(cellUri);
    if (index < 0) return null;
    const program = buildProgram(cells);
    const at = toProgram(program, index, position);
    let tree;
    try {
      tree = at ? this.parser.parse(program.text) : null;
    } catch (error) {
      this.connection.console.error(`Hover on ${cellUri} failed: ${error instanceof Error ? error.stack : String(error)}`);
      return null;
    }
    if (!at || !tree) return null;
    try {
      const hover = dataHoverFor(tree, program.text, notebook.uri, at);
      if (!hover?.range) return hover;
      const start = toCell(program, hover.range.start);
      const end = toCell(program, hover.range.end);
      // A hover range is only meaningful inside the hovered cell.
      if (start?.cell !== index || end?.cell !== index) return { contents: hover.contents };
      return { contents: hover.contents, range: { start: start.position, end: end.position } };
    } catch (error) {
      this.connection.console.error(`Hover on ${cellUri} failed: ${error instanceof Error ? error.stack : String(error)}`);
      return null;
    } finally {
      tree.delete();
    }
  }

  async codeActions(params: CodeActionParams): Promise<CodeAction[]> {
    const cellUri = params.textDocument.uri;
    const notebook = this.notebooks.findNotebookDocumentForCell(cellUri);
    const cellDocument = this.notebooks.cellTextDocuments.get(cellUri);
    if (!notebook || !cellDocument) return [];
    const ours = ruleDiagnosticsWanted(params);
    if (ours.length === 0) return [];
    const result = await this.current(notebook);
    const findings = result?.byCell.get(cellUri) ?? [];
    const actions: CodeAction[] = [];
    for (const diagnostic of ours) {
      const ruleId = String(diagnostic.code);
      const finding = findings.find(
        (f) => f.ruleId === ruleId && f.range.start.line === diagnostic.range.start.line && f.range.start.character === diagnostic.range.start.character,
      );
      for (const fix of finding?.fixes ?? []) {
        const changes: Record<string, TextEdit[]> = {};
        for (const { cell, edit } of fix.edits) (changes[result!.cellUris[cell]!] ??= []).push(edit);
        actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: fix.preferred, edit: { changes } });
      }
      actions.push(...suppressOrDisableActions(diagnostic, cellUri, cellDocument.getText(), 'python'));
    }
    return actions;
  }

  private forget(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.results.delete(uri);
    this.workspace.forget(uri);
    for (const cellUri of this.published.get(uri) ?? []) void this.connection.sendDiagnostics({ uri: cellUri, diagnostics: [] });
    this.published.delete(uri);
  }

  private async current(notebook: NotebookDocument): Promise<NotebookResult | undefined> {
    const cached = this.results.get(notebook.uri);
    if (cached && cached.version === notebook.version) return cached;
    return this.analyze(notebook);
  }

  private async publish(uri: string): Promise<void> {
    const notebook = this.notebooks.getNotebookDocument(uri);
    if (!notebook) return;
    const result = await this.current(notebook);
    if (!result || this.notebooks.getNotebookDocument(uri)?.version !== result.version) return;
    const before = this.published.get(uri) ?? new Set<string>();
    const now = new Set<string>();
    for (const [cellUri, findings] of result.byCell) {
      if (findings.length === 0) continue;
      now.add(cellUri);
      const version = this.notebooks.cellTextDocuments.get(cellUri)?.version;
      await this.connection.sendDiagnostics({
        uri: cellUri,
        ...(version !== undefined ? { version } : {}),
        diagnostics: findings.map((finding) => toDiagnostic(cellUri, asFinding(finding, cellUri, result))),
      });
    }
    // Cells that had findings and have none now, or that were removed from the notebook.
    for (const cellUri of before) {
      if (now.has(cellUri)) continue;
      const version = this.notebooks.cellTextDocuments.get(cellUri)?.version;
      await this.connection.sendDiagnostics({ uri: cellUri, ...(version !== undefined ? { version } : {}), diagnostics: [] });
    }
    this.published.set(uri, now);
    this.onPublished?.(uri);
  }

  private async analyze(notebook: NotebookDocument): Promise<NotebookResult | undefined> {
    const version = notebook.version;
    const settings = await this.workspace.settingsFor(notebook.uri);
    const { cells, uris } = this.programCells(notebook);
    const empty: NotebookResult = { version, byCell: new Map(), cellUris: uris, estimate: null };
    if (!settings.enable || !this.workspace.isSelected(notebook.uri, settings)) {
      this.results.set(notebook.uri, empty);
      return empty;
    }
    const started = performance.now();
    let outcome;
    try {
      outcome = analyzeNotebook(this.parser, cells, notebook.uri, settings);
    } catch (error) {
      this.connection.console.error(`Analysis of notebook ${notebook.uri} failed: ${error instanceof Error ? error.stack : String(error)}`);
      this.sendStatus({ state: 'error', uri: notebook.uri, message: 'analysis failed; see the Green AI output' });
      return undefined;
    }
    for (const failure of outcome.failures) {
      const detail = failure.error instanceof Error ? failure.error.stack ?? failure.error.message : String(failure.error);
      this.connection.console.error(`Rule ${failure.ruleId} failed on ${failure.uri}: ${detail}`);
    }
    const byCell = new Map<string, CellFinding[]>();
    for (const finding of outcome.findings) {
      const cellUri = uris[finding.cell];
      if (cellUri) byCell.set(cellUri, [...(byCell.get(cellUri) ?? []), finding]);
    }
    const estimateCell = outcome.estimate ? uris[outcome.estimate.cell] : undefined;
    const estimate = outcome.estimate && estimateCell ? { cellUri: estimateCell, estimate: outcome.estimate.estimate } : null;
    const result: NotebookResult = { version, byCell, cellUris: uris, estimate };
    this.results.set(notebook.uri, result);
    this.sendStatus({ state: 'ready', uri: notebook.uri, durationMs: performance.now() - started, findings: outcome.findings.filter((f) => f.ruleId !== FILE_NOTE_ID).length });
    return result;
  }

  /** The notebook's Python code cells in order; `index` is the position in `uris`. */
  private programCells(notebook: NotebookDocument): { cells: ProgramCell[]; uris: string[] } {
    const cells: ProgramCell[] = [];
    const uris: string[] = [];
    for (const cell of notebook.cells) {
      if (cell.kind !== NotebookCellKind.Code) continue;
      const document = this.notebooks.getCellTextDocument(cell);
      if (!document || document.languageId !== 'python') continue;
      cells.push({ index: uris.length, text: document.getText() });
      uris.push(cell.document);
    }
    return { cells, uris };
  }

  private sendStatus(params: StatusParams): void {
    void this.connection.sendNotification(STATUS_NOTIFICATION, params);
  }
}

/** A cell finding as the shared diagnostics, hover and code-action code expects; related locations in other cells keep their own URI. */
function asFinding(finding: CellFinding, cellUri: string, result: NotebookResult): Finding {
  return {
    ruleId: finding.ruleId,
    severity: finding.severity,
    range: finding.range,
    message: finding.message,
    fixes: [],
    related: finding.related.filter((r) => result.cellUris[r.cell] === cellUri).map((r) => ({ range: r.range, message: r.message })),
    ...(finding.saving ? { saving: finding.saving } : {}),
  };
}
