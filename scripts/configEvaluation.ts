/**
 * Precision/recall of the config rules on the config fixtures: every single-file fixture under
 * test/fixtures/configs/<format>/ (its `# expect:` markers or `.expect` sidecar, format in that folder's README) and
 * every multi-file job under test/fixtures/jobs/<name>/ (one folder = one workspace: the job graph is built over it
 * and each YAML/JSON/shell file is analysed with it). A finding is matched by (file, rule, 1-based start line); an
 * unmarked finding — in a `clean-*` look-alike or anywhere else — is a false positive. Shares the table, baseline and
 * comparison code of the Python corpus (scripts/ruleEvaluation.ts); the baseline is test/fixtures/configs/baseline.json.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { defaultSettings } from '../shared/src/settings';
import { analyzeConfig } from '../server/src/analysis/configEngine';
import { effectiveSeverity, FILE_NOTE_ID } from '../server/src/analysis/engine';
import { configFormatOf } from '../server/src/configs/configFile';
import { graphOf, schedulerCandidates } from '../server/src/jobs/discover';
import { fileUri, NO_JOBS, type JobGraph } from '../server/src/jobs/graph';
import { diskReader } from '../server/src/jobs/reader';
import { CONFIG_RULES } from '../server/src/rules/config';
import type { Evaluation, RuleScore } from './ruleEvaluation';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures');
export const CONFIGS_DIR = path.join(FIXTURES, 'configs');
export const JOBS_DIR = path.join(FIXTURES, 'jobs');
export const CONFIG_BASELINE_FILE = path.join(CONFIGS_DIR, 'baseline.json');
/** The blind hold-out of configs and jobs (test/fixtures/configs-holdout/: configs/<format>/ and jobs/<job>/). */
export const CONFIG_HOLDOUT_DIR = path.join(FIXTURES, 'configs-holdout');
export const CONFIG_HOLDOUT_BASELINE_FILE = path.join(CONFIG_HOLDOUT_DIR, 'baseline.json');
export const CONFIG_HOLDOUT_CORPUS = { configsDir: path.join(CONFIG_HOLDOUT_DIR, 'configs'), jobsDir: path.join(CONFIG_HOLDOUT_DIR, 'jobs') };

const MARKER = /#\s*expect:\s*((?:GA\d{3}\s*)+)$/;

/** `LINE RULE` pairs (1-based) from `# expect:` markers, or from the JSON sidecar `<file>.expect`. */
export function expectedFindings(file: string, text: string): string[] {
  const expected: string[] = [];
  if (/\.json$/.test(file)) {
    const sidecar = `${file}.expect`;
    if (!existsSync(sidecar)) return [];
    for (const line of readFileSync(sidecar, 'utf8').split('\n')) {
      const content = line.replace(/#.*$/, '').trim();
      if (!content) continue;
      const [lineNumber, ...ids] = content.split(/\s+/);
      for (const id of ids) expected.push(`${lineNumber} ${id}`);
    }
  } else {
    text.split(/\r?\n/).forEach((line, index) => {
      const match = MARKER.exec(line);
      if (match) for (const id of match[1]!.trim().split(/\s+/)) expected.push(`${index + 1} ${id}`);
    });
  }
  return expected.sort();
}

interface Unit {
  /** Relative to test/fixtures/ (`configs/slurm/x.sbatch`, `jobs/<name>/train.sbatch`). */
  name: string;
  file: string;
  graph: JobGraph | null;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** Where the fixtures are: single-file configs by format folder, and job folders (each one workspace). */
export interface ConfigCorpus {
  configsDir: string | null;
  jobsDir: string | null;
}

const DEFAULT_CORPUS: ConfigCorpus = { configsDir: CONFIGS_DIR, jobsDir: JOBS_DIR };

function units(corpus: ConfigCorpus): { units: Unit[]; groups: number } {
  const list: Unit[] = [];
  let groups = 0;
  const { configsDir, jobsDir } = corpus;
  for (const format of configsDir && existsSync(configsDir) ? readdirSync(configsDir).filter((n) => statSync(path.join(configsDir, n)).isDirectory()).sort() : []) {
    for (const name of readdirSync(path.join(configsDir!, format)).sort()) {
      if (name.endsWith('.expect') || /\.out\.\w+$/.test(name)) continue;
      const file = path.join(configsDir!, format, name);
      if (configFormatOf(undefined, file)) list.push({ name: path.relative(FIXTURES, file), file, graph: null });
    }
    groups++;
  }
  if (jobsDir && existsSync(jobsDir)) {
    for (const job of readdirSync(jobsDir).filter((n) => statSync(path.join(jobsDir, n)).isDirectory()).sort()) {
      const dir = path.join(jobsDir, job);
      const graph = graphOf(schedulerCandidates(dir), diskReader, [dir]);
      for (const file of filesUnder(dir).sort()) {
        if (file.endsWith('.expect') || !configFormatOf(undefined, file)) continue;
        list.push({ name: path.relative(FIXTURES, file), file, graph });
      }
      groups++;
    }
  }
  return { units: list, groups };
}

/** Analyses every config fixture and job (of the given corpus, else the main one) with default settings and scores each config rule. */
export function evaluateConfigs(corpus: ConfigCorpus = DEFAULT_CORPUS): Evaluation {
  const settings = defaultSettings();
  const rules = CONFIG_RULES.filter((rule) => effectiveSeverity(rule, settings) !== null);
  const scores = new Map<string, RuleScore>();
  for (const rule of rules) {
    if (!scores.has(rule.meta.id)) scores.set(rule.meta.id, { ruleId: rule.meta.id, tier: rule.meta.tier, tp: 0, fp: 0, fn: 0, held: [], falsePositives: [], falseNegatives: [] });
  }
  const failures: string[] = [];
  const { units: list } = units(corpus);
  let lineCount = 0;
  for (const unit of list) {
    const text = readFileSync(unit.file, 'utf8');
    const lines = text.split(/\r?\n/);
    lineCount += lines.length;
    const format = configFormatOf(undefined, unit.file)!;
    const view = unit.graph ? unit.graph.viewOf(unit.file) : NO_JOBS;
    const outcome = analyzeConfig(text, fileUri(unit.file), format, settings, rules, view);
    for (const failure of outcome.failures) failures.push(`${unit.name}: ${failure.ruleId} threw ${String(failure.error)}`);
    if (outcome.findings.some((f) => f.ruleId === FILE_NOTE_ID)) failures.push(`${unit.name}: does not parse (${outcome.findings.find((f) => f.ruleId === FILE_NOTE_ID)!.message})`);
    const expected = expectedFindings(unit.file, text);
    const source = (line: number) => (lines[line - 1] ?? '').trim();
    for (const score of scores.values()) {
      const wanted = expected.filter((e) => e.endsWith(` ${score.ruleId}`)).map((e) => Number(e.split(' ')[0]));
      const found = new Set(outcome.findings.filter((f) => f.ruleId === score.ruleId).map((f) => f.range.start.line + 1));
      for (const line of wanted) {
        const at = `${unit.name}:${line}`;
        if (found.delete(line)) {
          score.tp++;
          score.held.push(at);
        } else {
          score.fn++;
          score.falseNegatives.push({ at, code: source(line) });
        }
      }
      for (const line of [...found].sort((a, b) => a - b)) {
        score.fp++;
        score.falsePositives.push({ at: `${unit.name}:${line}`, code: source(line), ...(path.basename(unit.file).startsWith('clean-') ? { why: 'clean-* look-alike' } : {}) });
      }
    }
  }
  return { scripts: list.length, lines: lineCount, rules: [...scores.values()], failures };
}
