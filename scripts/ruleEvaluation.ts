/**
 * Precision/recall of the rules on the realistic corpus (test/fixtures/realistic/): every `<name>.py` there has a
 * `<name>.expect.json` saying, per rule, which 1-based lines must be flagged and which documented look-alikes must
 * not be. A rule a script does not list must stay silent in it, so every other finding is a false positive.
 * Findings are matched to expectations by (rule, start line). Used by scripts/eval-rules.ts and
 * test/unit/realistic.test.ts; baseline.json holds the scores as of the last `--update-baseline`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RuleTier } from '../shared/src/ruleMeta';
import { defaultSettings } from '../shared/src/settings';
import { analyzePython, effectiveSeverity } from '../server/src/analysis/engine';
import { createPythonParser } from '../server/src/documents/pythonParser';
import { RULES } from '../server/src/rules';

export const CORPUS_DIR = path.join(__dirname, '..', 'test', 'fixtures', 'realistic');
export const BASELINE_FILE = path.join(CORPUS_DIR, 'baseline.json');
export const TARGETS = { precision: 0.95, recall: 0.85 } as const;

const RULE_ID = z.string().regex(/^GA\d{3}$/);
const LINE = z.number().int().positive();

const flaggedSchema = z.strictObject({
  line: LINE,
  /** Text that must occur on that line: keeps the expectation pinned to the code when the script is edited. */
  code: z.string().min(1),
  /** Other lines where the finding is equally right (e.g. any backward call of the same step loop for GA101). */
  alsoAccept: z.array(LINE).optional(),
  note: z.string().optional(),
});

const notFlaggedSchema = z.strictObject({
  line: LINE,
  code: z.string().min(1),
  /** Why this look-alike must stay silent (the catalogue's FP risk it documents). */
  why: z.string().min(1),
});

export const expectationsSchema = z.strictObject({
  script: z.string().regex(/\.py$/),
  style: z.string().min(1),
  rules: z.record(
    RULE_ID,
    z.strictObject({ flagged: z.array(flaggedSchema).optional(), notFlagged: z.array(notFlaggedSchema).optional() }),
  ),
});

export type Expectations = z.infer<typeof expectationsSchema>;

export interface CorpusScript {
  name: string;
  text: string;
  expectations: Expectations;
}

/** Loads and validates the corpus; throws one error naming every broken file and line. */
export function loadCorpus(dir: string = CORPUS_DIR): CorpusScript[] {
  const problems: string[] = [];
  const scripts: CorpusScript[] = [];
  const files = readdirSync(dir);
  for (const name of files.filter((f) => f.endsWith('.py')).sort()) {
    const expectPath = path.join(dir, name.replace(/\.py$/, '.expect.json'));
    if (!existsSync(expectPath)) {
      problems.push(`${name}: no ${path.basename(expectPath)} next to it`);
      continue;
    }
    let parsed: ReturnType<typeof expectationsSchema.safeParse>;
    try {
      parsed = expectationsSchema.safeParse(JSON.parse(readFileSync(expectPath, 'utf8')));
    } catch (error) {
      problems.push(`${path.basename(expectPath)}: not JSON (${(error as Error).message})`);
      continue;
    }
    if (!parsed.success) {
      problems.push(`${path.basename(expectPath)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      continue;
    }
    const expectations = parsed.data;
    const text = readFileSync(path.join(dir, name), 'utf8');
    const lines = text.split(/\r?\n/);
    if (expectations.script !== name) problems.push(`${path.basename(expectPath)}: "script" is ${expectations.script}, expected ${name}`);
    for (const [ruleId, rule] of Object.entries(expectations.rules)) {
      const flaggedLines = new Set<number>();
      for (const entry of [...(rule.flagged ?? []), ...(rule.notFlagged ?? [])]) {
        const source = lines[entry.line - 1];
        if (source === undefined) problems.push(`${name}:${entry.line}: ${ruleId} expectation is past the end of the file`);
        else if (!source.includes(entry.code)) {
          problems.push(`${name}:${entry.line}: ${ruleId} expectation expects "${entry.code}" on this line, found "${source.trim()}" (was the script edited? fix the line number)`);
        }
      }
      for (const entry of rule.flagged ?? []) for (const line of [entry.line, ...(entry.alsoAccept ?? [])]) flaggedLines.add(line);
      for (const entry of rule.notFlagged ?? []) {
        if (flaggedLines.has(entry.line)) problems.push(`${name}:${entry.line}: ${ruleId} is both flagged and not flagged on this line`);
      }
    }
    scripts.push({ name, text, expectations });
  }
  for (const name of files.filter((f) => f.endsWith('.expect.json'))) {
    if (!files.includes(name.replace(/\.expect\.json$/, '.py'))) problems.push(`${name}: no script ${name.replace(/\.expect\.json$/, '.py')}`);
  }
  if (problems.length > 0) throw new Error(`realistic corpus (${dir}) is invalid:\n  ${problems.join('\n  ')}`);
  if (scripts.length === 0) throw new Error(`realistic corpus (${dir}) has no scripts`);
  return scripts;
}

export interface Miss {
  /** `script.py:line` (1-based). */
  at: string;
  /** The source line, trimmed. */
  code: string;
  /** For a false positive on a documented look-alike: why it must not be flagged. */
  why?: string;
}

export interface RuleScore {
  ruleId: string;
  tier: RuleTier;
  tp: number;
  fp: number;
  fn: number;
  /** Expectations that hold (`script.py:line`), for the regression check. */
  held: string[];
  falsePositives: Miss[];
  falseNegatives: Miss[];
}

export interface Evaluation {
  scripts: number;
  lines: number;
  rules: RuleScore[];
  /** Engine failures (a rule that threw) — they make the evaluation meaningless, so callers fail on them. */
  failures: string[];
}

/** Analyses every corpus script with default settings (all default-enabled rules) and scores each rule. */
export async function evaluateCorpus(corpus: CorpusScript[] = loadCorpus()): Promise<Evaluation> {
  const settings = defaultSettings();
  const rules = RULES.filter((rule) => effectiveSeverity(rule, settings) !== null);
  const scores = new Map<string, RuleScore>(
    rules.map((r) => [r.meta.id, { ruleId: r.meta.id, tier: r.meta.tier, tp: 0, fp: 0, fn: 0, held: [], falsePositives: [], falseNegatives: [] }]),
  );
  const parser = await createPythonParser();
  const failures: string[] = [];
  let lineCount = 0;
  try {
    for (const script of corpus) {
      const lines = script.text.split(/\r?\n/);
      lineCount += lines.length;
      const tree = parser.parse(script.text);
      if (!tree) throw new Error(`${script.name}: the parser returned no tree`);
      let outcome;
      try {
        outcome = analyzePython(tree, script.text, `file:///realistic/${script.name}`, settings, rules, { estimates: false });
      } finally {
        tree.delete();
      }
      for (const failure of outcome.failures) failures.push(`${script.name}: ${failure.ruleId} threw ${String(failure.error)}`);
      const source = (line: number) => (lines[line - 1] ?? '').trim();
      for (const score of scores.values()) {
        const expected = script.expectations.rules[score.ruleId] ?? {};
        const found = new Set(outcome.findings.filter((f) => f.ruleId === score.ruleId).map((f) => f.range.start.line + 1));
        for (const entry of expected.flagged ?? []) {
          const hit = [entry.line, ...(entry.alsoAccept ?? [])].find((line) => found.has(line));
          const at = `${script.name}:${entry.line}`;
          if (hit === undefined) {
            score.fn++;
            score.falseNegatives.push({ at, code: source(entry.line) });
          } else {
            score.tp++;
            score.held.push(at);
            found.delete(hit);
          }
        }
        const lookAlikes = new Map((expected.notFlagged ?? []).map((e) => [e.line, e.why]));
        for (const line of [...found].sort((a, b) => a - b)) {
          score.fp++;
          const why = lookAlikes.get(line);
          score.falsePositives.push({ at: `${script.name}:${line}`, code: source(line), ...(why ? { why } : {}) });
        }
      }
    }
  } finally {
    parser.delete();
  }
  return { scripts: corpus.length, lines: lineCount, rules: [...scores.values()], failures };
}

export interface Totals {
  tp: number;
  fp: number;
  fn: number;
  precision: number | null;
  recall: number | null;
}

export function totals(scores: readonly Pick<RuleScore, 'tp' | 'fp' | 'fn'>[]): Totals {
  const tp = scores.reduce((s, r) => s + r.tp, 0);
  const fp = scores.reduce((s, r) => s + r.fp, 0);
  const fn = scores.reduce((s, r) => s + r.fn, 0);
  return { tp, fp, fn, precision: tp + fp === 0 ? null : tp / (tp + fp), recall: tp + fn === 0 ? null : tp / (tp + fn) };
}

const fmt = (value: number | null) => (value === null ? '  n/a' : value.toFixed(3));

/** The per-rule table plus the core-rule and overall totals, as printed by `npm run eval:rules`. */
export function formatTable(evaluation: Evaluation): string {
  const rows: string[][] = [['rule', 'tier', 'TP', 'FP', 'FN', 'precision', 'recall', '']];
  const verdict = (t: Totals) => {
    const low: string[] = [];
    if (t.precision !== null && t.precision < TARGETS.precision) low.push('precision');
    if (t.recall !== null && t.recall < TARGETS.recall) low.push('recall');
    return low.length > 0 ? `below target: ${low.join(', ')}` : '';
  };
  for (const score of evaluation.rules) {
    const t = totals([score]);
    rows.push([score.ruleId, score.tier, String(t.tp), String(t.fp), String(t.fn), fmt(t.precision), fmt(t.recall), verdict(t)]);
  }
  const core = totals(evaluation.rules.filter((r) => r.tier === 'core'));
  const all = totals(evaluation.rules);
  rows.push(['core', '', String(core.tp), String(core.fp), String(core.fn), fmt(core.precision), fmt(core.recall), verdict(core)]);
  if (evaluation.rules.some((r) => r.tier !== 'core')) {
    rows.push(['all', '', String(all.tp), String(all.fp), String(all.fn), fmt(all.precision), fmt(all.recall), '']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const render = (row: string[]) =>
    row.map((cell, c) => (c <= 1 || c === row.length - 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ').trimEnd();
  const ruleRows = evaluation.rules.length + 1;
  const out = [render(rows[0]!), rule, ...rows.slice(1, ruleRows).map(render), rule, ...rows.slice(ruleRows).map(render)];
  return [
    `${evaluation.scripts} scripts, ${evaluation.lines} lines; targets on the core rules: precision >= ${TARGETS.precision}, recall >= ${TARGETS.recall}`,
    '',
    ...out,
  ].join('\n');
}

/** Every miss, one per line: what to look at when a number moves. */
export function formatMisses(evaluation: Evaluation): string {
  const out: string[] = [];
  for (const score of evaluation.rules) {
    for (const miss of score.falseNegatives) out.push(`FN ${score.ruleId} ${miss.at}  ${miss.code}`);
    for (const miss of score.falsePositives) out.push(`FP ${score.ruleId} ${miss.at}  ${miss.code}${miss.why ? `  [documented look-alike: ${miss.why}]` : ''}`);
  }
  return out.join('\n');
}

const baselineSchema = z.strictObject({
  $comment: z.string().optional(),
  rules: z.record(
    RULE_ID,
    z.strictObject({
      tp: z.number().int().nonnegative(),
      fp: z.number().int().nonnegative(),
      fn: z.number().int().nonnegative(),
      held: z.array(z.string()),
      falsePositives: z.array(z.string()),
    }),
  ),
});

export type Baseline = z.infer<typeof baselineSchema>;

export function baselineOf(evaluation: Evaluation, scoredSet = 'the realistic corpus'): Baseline {
  return {
    $comment: `Scores of the rules on ${scoredSet}; written by \`npm run eval:rules -- --update-baseline\`. npm test fails when an expectation listed in "held" stops holding or a rule gains false positives.`,
    rules: Object.fromEntries(
      evaluation.rules.map((r) => [r.ruleId, { tp: r.tp, fp: r.fp, fn: r.fn, held: [...r.held].sort(), falsePositives: r.falsePositives.map((m) => m.at).sort() }]),
    ),
  };
}

export function loadBaseline(file: string = BASELINE_FILE): Baseline {
  const parsed = baselineSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file} is invalid (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); regenerate it with npm run eval:rules -- --update-baseline`);
  }
  return parsed.data;
}

export interface Comparison {
  /** Held expectations lost, false positives gained: each fails the check. */
  regressions: string[];
  /** Gains worth recording with --update-baseline (and rules without a baseline yet). */
  improvements: string[];
}

/**
 * Compares with the baseline: no expectation that held may stop holding (so TP cannot drop) and no rule may
 * gain false positives. Rules added since the baseline are reported, not failed, until the baseline is updated.
 */
export function compareWithBaseline(evaluation: Evaluation, baseline: Baseline): Comparison {
  const regressions: string[] = [];
  const improvements: string[] = [];
  const current = new Map(evaluation.rules.map((r) => [r.ruleId, r]));
  for (const [ruleId, before] of Object.entries(baseline.rules)) {
    const now = current.get(ruleId);
    if (!now) {
      if (before.tp > 0) regressions.push(`${ruleId} no longer runs with default settings (it held ${before.tp} expectations)`);
      continue;
    }
    const held = new Set(now.held);
    for (const at of before.held.filter((key) => !held.has(key))) {
      regressions.push(`${ruleId} no longer flags ${at} (${now.falseNegatives.find((m) => m.at === at)?.code ?? 'expectation removed?'})`);
    }
    if (now.fp > before.fp) {
      const known = new Set(before.falsePositives);
      const added = now.falsePositives.filter((m) => !known.has(m.at)).map((m) => `${m.at} ${m.code}`);
      regressions.push(`${ruleId} false positives ${before.fp} -> ${now.fp}: ${added.join('; ')}`);
    }
    if (now.tp > before.tp) improvements.push(`${ruleId} true positives ${before.tp} -> ${now.tp}`);
    if (now.fp < before.fp) improvements.push(`${ruleId} false positives ${before.fp} -> ${now.fp}`);
  }
  for (const ruleId of current.keys()) {
    if (!(ruleId in baseline.rules)) improvements.push(`${ruleId} has no baseline yet`);
  }
  return { regressions, improvements };
}
