/** Open documents and their parse trees, keyed by URI. Trees are freed when a document closes. */
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { Parser } from 'web-tree-sitter';
import { ParsedDocument } from './parsedDocument';

export class DocumentStore {
  private readonly documents = new Map<string, ParsedDocument>();

  constructor(private readonly parser: Parser) {}

  open(uri: string, languageId: string, version: number, text: string): ParsedDocument {
    this.close(uri);
    const document = new ParsedDocument(TextDocument.create(uri, languageId, version, text), this.parser);
    this.documents.set(uri, document);
    return document;
  }

  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): ParsedDocument | undefined {
    const document = this.documents.get(uri);
    document?.applyChanges(changes, version);
    return document;
  }

  get(uri: string): ParsedDocument | undefined {
    return this.documents.get(uri);
  }

  close(uri: string): void {
    this.documents.get(uri)?.dispose();
    this.documents.delete(uri);
  }

  all(): ParsedDocument[] {
    return [...this.documents.values()];
  }
}
