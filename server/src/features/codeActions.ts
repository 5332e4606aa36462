/**
 * Code actions for Green AI diagnostics: the rule's quick fixes (preferred only where behaviour is kept; a job's fix may
 * edit another file of the job, checked against that file's current text first),
 * "suppress on this line" (`# green-ai: ignore[GA201]`), and "disable the rule in settings" (a client command).
 */
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import { DIAGNOSTIC_SOURCE, DISABLE_RULE_COMMAND } from '../../../shared/src/protocol';
import { FILE_NOTE_ID, type Finding } from '../analysis/engine';
import type { DocumentStore } from '../documents/documentStore';
import { fileURLToPath } from 'node:url';
import { LineIndex } from '../configs/positions';
import { diskReader } from '../jobs/reader';
import { ruleById } from '../rules';
import type { OtherFileEdits } from '../rules/rule';
import type { DiagnosticsFeature } from './diagnostics';

const SUPPRESSION_COMMENT = /(?:#|\/\/)\s*green-ai:\s*ignore\[([^\]]*)\]/;
const COMMENT_BY_LANGUAGE: Record<string, string> = { jsonc: '//' };

export async function provideCodeActions(params: CodeActionParams, documents: DocumentStore, diagnostics: DiagnosticsFeature): Promise<CodeAction[]> {
  const uri = params.textDocument.uri;
  const document = documents.get(uri);
  if (!document) return [];
  const ours = ruleDiagnosticsWanted(params);
  if (ours.length === 0) return [];
  const findings = await diagnostics.current(uri);
  const actions: CodeAction[] = [];
  for (const diagnostic of ours) {
    const ruleId = String(diagnostic.code);
    const finding = findings.find((f) => f.ruleId === ruleId && samePosition(f, diagnostic));
    for (const fix of finding?.fixes ?? []) {
      const changes: Record<string, TextEdit[]> = fix.edits.length > 0 ? { [uri]: fix.edits } : {};
      // A cross-file fix (a job's config): only while the other file still reads as when the fix was computed.
      if (fix.otherFiles && !fix.otherFiles.every((other) => stillMatches(other, documents))) continue;
      for (const other of fix.otherFiles ?? []) changes[other.uri] = [...(changes[other.uri] ?? []), ...other.edits];
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fix.preferred,
        edit: { changes },
      });
    }
    actions.push(...suppressOrDisableActions(diagnostic, uri, document.document.getText(), document.document.languageId));
  }
  return actions;
}

/** The request's diagnostics that are Green AI rule findings, or none when the client asked for other kinds of action. */
export function ruleDiagnosticsWanted(params: CodeActionParams): Diagnostic[] {
  const wantsQuickFix = !params.context.only || params.context.only.some((kind) => kind.startsWith(CodeActionKind.QuickFix));
  if (!wantsQuickFix) return [];
  return params.context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && typeof d.code === 'string' && d.code !== FILE_NOTE_ID);
}

/** "Suppress GAxxx on this line" (where the language has comments) and "Disable GAxxx in settings", for any finding. */
export function suppressOrDisableActions(diagnostic: Diagnostic, uri: string, text: string, languageId: string): CodeAction[] {
  const ruleId = String(diagnostic.code);
  const actions: CodeAction[] = [];
  // A comment is valid YAML, shell and JSONC, but not JSON (json.load would fail on it): no suppression there.
  if (languageId !== 'json') {
    actions.push({
      title: `Suppress ${ruleId} on this line`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: { changes: { [uri]: [suppressionEdit(text, diagnostic.range.start.line, ruleId, COMMENT_BY_LANGUAGE[languageId] ?? '#')] } },
    });
  }
  const slug = ruleById(ruleId)?.meta.slug;
  actions.push({
    title: `Disable ${ruleId}${slug ? ` (${slug})` : ''} in settings`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    command: { title: `Disable ${ruleId}`, command: DISABLE_RULE_COMMAND, arguments: [ruleId] },
  });
  return actions;
}

/** The other file's current text (its open document, else the disk) still holds what each edit replaces. */
function stillMatches(other: OtherFileEdits, documents: DocumentStore): boolean {
  const open = documents.get(other.uri)?.document.getText();
  const text = open ?? (other.uri.startsWith('file:') ? diskReader.read(fileURLToPath(other.uri)) : undefined);
  if (text === undefined) return false;
  const lines = new LineIndex(text);
  return other.edits.every((edit, index) => {
    const start = offsetOf(lines, edit.range.start);
    const end = offsetOf(lines, edit.range.end);
    return start !== undefined && end !== undefined && text.slice(start, end) === other.expected[index];
  });
}

function offsetOf(lines: LineIndex, position: { line: number; character: number }): number | undefined {
  if (position.line >= lines.lineCount) return undefined;
  const offset = lines.lineStart(position.line) + position.character;
  return offset <= lines.lineEnd(position.line) ? offset : undefined;
}

function samePosition(finding: Finding, diagnostic: Diagnostic): boolean {
  return finding.range.start.line === diagnostic.range.start.line && finding.range.start.character === diagnostic.range.start.character;
}

/** Adds the rule to an existing `# green-ai: ignore[...]` on the line, or appends a new comment. */
export function suppressionEdit(text: string, line: number, ruleId: string, comment = '#'): TextEdit {
  const lines = text.split(/\r?\n/);
  const content = lines[line] ?? '';
  const existing = SUPPRESSION_COMMENT.exec(content);
  if (existing) {
    const listStart = existing.index + existing[0].indexOf('[') + 1;
    const listEnd = listStart + existing[1]!.length;
    const ids = existing[1]!.split(',').map((id) => id.trim()).filter(Boolean);
    return {
      range: { start: { line, character: listStart }, end: { line, character: listEnd } },
      newText: [...ids, ruleId].join(', '),
    };
  }
  return {
    range: { start: { line, character: content.length }, end: { line, character: content.length } },
    newText: `  ${comment} green-ai: ignore[${ruleId}]`,
  };
}
