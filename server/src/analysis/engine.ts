/**
 * The analysis engine, free of any LSP connection so that the server, the CLI and the tests share it:
 * text + tree + settings in, findings out. Each rule runs in isolation: one that throws is reported
 * (rule id, file, stack) and the others still produce their findings.
 */
import type { Range } from 'vscode-languageserver-types';
import type { Tree } from 'web-tree-sitter';
import type { Severity } from '../../../shared/src/ruleMeta';
import type { Settings } from '../../../shared/src/settings';
import { RULES } from '../rules';
import type { CostEffect, Fix, RelatedLocation, Rule } from '../rules/rule';
import { estimateScript, savingOf, type FindingSaving, type ScriptEstimate } from '../estimates/estimate';
import type { SiblingFileReader } from './configOverrides';
import { AnalysisContext } from './context';
import { rangeOf, releaseCallFacts } from './syntax';

export interface Finding {
  /** A rule id (`GA201`), or `GA000` for notes about the file itself (too large, binary). */
  ruleId: string;
  severity: Severity;
  range: Range;
  message: string;
  fixes: Fix[];
  related: RelatedLocation[];
  /** The estimated saving of the fix on this script's run (also appended to the message); absent when no run could be estimated. */
  saving?: FindingSaving;
}

export interface RuleFailure {
  ruleId: string;
  uri: string;
  error: unknown;
}

export interface AnalysisOutcome {
  findings: Finding[];
  failures: RuleFailure[];
  /** The estimate of the run the script describes (null when it does not train, or estimates are not wanted). */
  estimate: ScriptEstimate | null;
}

export interface AnalysisOptions {
  /** Extract the run and estimate it and each finding's saving (default true). */
  estimates?: boolean;
  /** Reads files next to the analysed one, for nanoGPT-style `config/*.py` overrides (see configOverrides.ts). */
  siblingFiles?: SiblingFileReader;
}

export const FILE_NOTE_ID = 'GA000';
const BINARY_SAMPLE = 8192;

/** A note instead of analysis for content that must not be parsed: too large, or not text. */
export function precheck(text: string, settings: Settings): Finding | null {
  const limit = settings.maxFileSizeMB * 1024 * 1024;
  if (text.length > limit) {
    return fileNote(
      `Green AI skipped this file: ${(text.length / 1024 / 1024).toFixed(1)} MB is over greenAI.maxFileSizeMB (${settings.maxFileSizeMB} MB).`,
    );
  }
  const sample = text.slice(0, BINARY_SAMPLE);
  let replacement = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    if (code === 0) return fileNote('Green AI skipped this file: it contains binary data (NUL bytes), not Python source.');
    if (code === 0xfffd) replacement++;
  }
  if (sample.length > 0 && replacement / sample.length > 0.1) {
    return fileNote('Green AI skipped this file: it is not valid UTF-8 text.');
  }
  return null;
}

function fileNote(message: string): Finding {
  return { ruleId: FILE_NOTE_ID, severity: 'information', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message, fixes: [], related: [] };
}

/** The severity a rule runs at under the settings, or null when it is off. */
export function effectiveSeverity(rule: Pick<Rule, 'meta'>, settings: Settings): Severity | null {
  const level = settings.rules[rule.meta.id] ?? 'default';
  if (level === 'off') return null;
  if (level === 'default') return rule.meta.enabledByDefault ? rule.meta.defaultSeverity : null;
  return level;
}

export function analyzePython(
  tree: Tree,
  text: string,
  uri: string,
  settings: Settings,
  rules: readonly Rule[] = RULES,
  options: AnalysisOptions = {},
): AnalysisOutcome {
  try {
    return analyzeWithContext(new AnalysisContext(tree, text, uri, settings, options.siblingFiles), uri, settings, rules, options);
  } finally {
    releaseCallFacts(tree);
  }
}

function analyzeWithContext(context: AnalysisContext, uri: string, settings: Settings, rules: readonly Rule[], options: AnalysisOptions): AnalysisOutcome {
  const findings: Finding[] = [];
  const effects = new Map<Finding, CostEffect>();
  const failures: RuleFailure[] = [];
  for (const rule of rules) {
    const severity = effectiveSeverity(rule, settings);
    if (!severity) continue;
    try {
      for (const finding of rule.check(context)) {
        const result: Finding = { ruleId: rule.meta.id, severity, range: finding.range, message: finding.message, fixes: finding.fixes ?? [], related: finding.related ?? [] };
        findings.push(result);
        if (finding.effect) effects.set(result, finding.effect);
      }
    } catch (error) {
      failures.push({ ruleId: rule.meta.id, uri, error });
    }
  }
  const suppressed = suppressionsOf(context);
  const kept = findings.filter((finding) => !isSuppressed(suppressed, finding));
  let estimate: ScriptEstimate | null = null;
  if (options.estimates !== false) {
    try {
      const facts = context.runFacts();
      estimate = estimateScript(facts, facts.entry ? rangeOf(facts.entry) : null, settings, kept.flatMap((f) => effects.get(f) ?? []));
      for (const finding of kept) {
        const saving = savingOf(estimate, effects.get(finding));
        if (!saving) continue;
        finding.saving = saving;
        finding.message = `${finding.message} ${saving.text}.`;
      }
    } catch (error) {
      failures.push({ ruleId: 'estimate', uri, error });
    }
  }
  return {
    findings: kept.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.ruleId.localeCompare(b.ruleId)),
    failures,
    estimate,
  };
}

const SUPPRESSION = /green-ai:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?/;

/** Line → suppressed rule ids (`*` for all), from `# green-ai: ignore[GA101, GA202]` comments. */
function suppressionsOf(context: AnalysisContext): Map<number, Set<string>> {
  const map = new Map<number, Set<string>>();
  if (!context.text.includes('green-ai:')) return map;
  for (const comment of context.nodesOfType('comment')) {
    const match = SUPPRESSION.exec(comment.text);
    if (!match) continue;
    const ids = match[1] === undefined ? ['*'] : match[1].split(',').map((id) => id.trim().toUpperCase()).filter(Boolean);
    const line = comment.startPosition.row;
    const set = map.get(line) ?? new Set<string>();
    for (const id of ids) set.add(id);
    map.set(line, set);
  }
  return map;
}

function isSuppressed(suppressed: Map<number, Set<string>>, finding: Finding): boolean {
  const ids = suppressed.get(finding.range.start.line);
  return !!ids && (ids.has('*') || ids.has(finding.ruleId));
}
