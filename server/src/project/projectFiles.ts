/**
 * The language server's side of project configuration: open pyproject.toml / .green-ai.toml editors (their unsaved
 * text is what applies, so an edit takes effect as it is typed), the files on disk otherwise, and the diagnostics
 * on an open project file. The owner re-reads settings and re-analyses open documents when `onChanged` fires.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticSeverity, type Connection, type Diagnostic } from 'vscode-languageserver';
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { DIAGNOSTIC_SOURCE } from '../../../shared/src/protocol';
import { findProjectConfig, isProjectFileName, readProjectConfig, type ProjectConfig, type ProjectFileReader, type ProjectProblem } from './projectConfig';

/** The code of notes about a file rather than findings of a rule (as analysis/engine.ts's FILE_NOTE_ID). */
export const PROJECT_NOTE_CODE = 'GA000';

export function toProjectDiagnostic(problem: ProjectProblem): Diagnostic {
  return {
    range: problem.range,
    severity: problem.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: PROJECT_NOTE_CODE,
    source: DIAGNOSTIC_SOURCE,
    message: problem.message,
  };
}

export class ProjectFiles {
  /** Open project files by absolute path. */
  private readonly open = new Map<string, TextDocument>();
  /** Called when a project file's content may have changed (edited, saved, created or deleted on disk). */
  onChanged: (() => void) | undefined;

  private readonly reader: ProjectFileReader = {
    read: (file) => {
      const document = this.open.get(file);
      if (document) return document.getText();
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    isRepositoryRoot: (dir) => existsSync(path.join(dir, '.git')),
  };

  constructor(private readonly connection: Connection) {}

  /** Whether `uri` is a project file; true means this class handles the document and nothing else should. */
  static handles(uri: string): boolean {
    return uri.startsWith('file:') && isProjectFileName(fileURLToPath(uri));
  }

  didOpen(uri: string, languageId: string, version: number, text: string): void {
    this.open.set(fileURLToPath(uri), TextDocument.create(uri, languageId, version, text));
    this.changed(uri);
  }

  didChange(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): void {
    const file = fileURLToPath(uri);
    const document = this.open.get(file);
    if (!document) return;
    this.open.set(file, TextDocument.update(document, [...changes], version));
    this.changed(uri);
  }

  didClose(uri: string): void {
    this.open.delete(fileURLToPath(uri));
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    // The file on disk applies again (the closed editor may have held unsaved text).
    this.onChanged?.();
  }

  /** A watched project file was created, changed or deleted on disk. */
  didChangeOnDisk(uri: string): void {
    if (this.open.has(fileURLToPath(uri))) return; // the editor's text applies, and didChange reported it
    this.onChanged?.();
  }

  /** The configuration that applies to a document: the nearest project file, searched up to its workspace folder. */
  configFor(uri: string, workspaceFolder: string | undefined): ProjectConfig | null {
    if (!uri.startsWith('file:')) return null;
    return findProjectConfig(fileURLToPath(uri), this.reader, workspaceFolder);
  }

  private changed(uri: string): void {
    const document = this.open.get(fileURLToPath(uri));
    if (document) {
      const config = readProjectConfig(fileURLToPath(uri), document.getText());
      void this.connection.sendDiagnostics({ uri, version: document.version, diagnostics: (config?.problems ?? []).map(toProjectDiagnostic) });
    }
    this.onChanged?.();
  }
}
