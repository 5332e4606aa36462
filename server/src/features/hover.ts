/** Hover over a Green AI finding: what was found, why it costs energy, what to do, and the sources. */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { docsUrlFor, type RuleMeta } from '../../../shared/src/ruleMeta';
import type { Finding } from '../analysis/engine';
import { ruleById } from '../rules';

export function hoverFor(findings: readonly Finding[], position: Position): Hover | null {
  const here = findings.filter((finding) => covers(finding, position));
  if (here.length === 0) return null;
  const sections = here.map((finding) => {
    const rule = ruleById(finding.ruleId);
    return rule ? explainRule(rule.meta, finding.message) : finding.message;
  });
  return { contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') }, range: here[0]!.range };
}

export function explainRule(meta: RuleMeta, message: string): string {
  const sources = meta.sources.map((source) => `[${source.title}](${source.url}) (${source.year})`).join(' · ');
  return [
    `**Green AI ${meta.id} · ${meta.slug}** — ${meta.title}`,
    message,
    `**Why it costs energy.** ${meta.why}`,
    `**What to do.** ${meta.fix}`,
    `Sources: ${sources}`,
    `[Rule documentation](${docsUrlFor(meta)}) · suppress with \`# green-ai: ignore[${meta.id}]\``,
  ].join('\n\n');
}

function covers(finding: Finding, position: Position): boolean {
  const { start, end } = finding.range;
  if (position.line < start.line || position.line > end.line) return false;
  if (position.line === start.line && position.character < start.character) return false;
  if (position.line === end.line && position.character > end.character) return false;
  return true;
}
