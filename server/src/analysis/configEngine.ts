/**
 * The analysis of training configs and job scripts, beside the Python engine and with the same contract: text +
 * settings in, findings out; each rule isolated. The file is parsed once per call (the server calls it once per
 * document version). A file that does not parse gets one GA000 note at the parser's position (templated files such
 * as Helm charts excepted: they are not YAML until rendered); a file that is not a training config gets nothing.
 */
import type { Settings } from '../../../shared/src/settings';
import { readConfigFile, type ConfigFormat } from '../configs/configFile';
import { gpuAllocation } from '../configs/slurm';
import { estimateJob } from '../estimates/jobEstimate';
import { NO_JOBS, type JobView } from '../jobs/graph';
import { CONFIG_RULES } from '../rules/config';
import type { ConfigRule } from '../rules/config/rule';
import { effectiveSeverity, FILE_NOTE_ID, precheck, type AnalysisOutcome, type Finding, type RuleFailure } from './engine';

const SEVERITY_RANK = { error: 0, warning: 1, information: 2, hint: 3 } as const;

/** `jobs`: what the job graph says about this file (the server and `green-ai check` pass it; without it each file stands alone). */
export function analyzeConfig(text: string, uri: string, format: ConfigFormat, settings: Settings, rules: readonly ConfigRule[] = CONFIG_RULES, jobs: JobView = NO_JOBS): AnalysisOutcome {
  // Too large or binary: data files, not configs someone edits; no note (unlike Python sources).
  if (precheck(text, settings)) return { findings: [], failures: [], estimate: null };
  const file = readConfigFile(text, format);
  if (file.problem) {
    if (text.includes('{{')) return { findings: [], failures: [], estimate: null };
    const note: Finding = {
      ruleId: FILE_NOTE_ID,
      severity: 'information',
      range: file.lines.range(file.problem.span.start, file.problem.span.end),
      message: `${file.problem.message}. Green AI cannot check this file until it parses.`,
      fixes: [],
      related: [],
    };
    return { findings: [note], failures: [], estimate: null };
  }
  const context = { uri, path: pathOf(uri), file, lines: file.lines, settings, jobs };
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  for (const rule of rules) {
    const severity = effectiveSeverity(rule, settings);
    if (!severity) continue;
    try {
      for (const finding of rule.check(context)) {
        const capped = finding.uncertain && SEVERITY_RANK[severity] < SEVERITY_RANK.information ? 'information' : severity;
        findings.push({ ruleId: rule.meta.id, severity: capped, range: finding.range, message: finding.message, fixes: finding.fixes ?? [], related: finding.related ?? [] });
      }
    } catch (error) {
      failures.push({ ruleId: rule.meta.id, uri, error });
    }
  }
  const suppressed = suppressionsOf(text, file.lines.position.bind(file.lines), format);
  const kept = findings.filter((f) => {
    const ids = suppressed.get(f.range.start.line);
    return !ids || !(ids.has('*') || ids.has(f.ruleId));
  });
  kept.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.ruleId.localeCompare(b.ruleId));
  // A batch script's code lens: the job's GPUs over its time limit (the scheduler's accounting, an upper bound).
  const allocation = file.format === 'shell' && file.job ? gpuAllocation(file.job) : undefined;
  const estimate = allocation ? estimateJob(allocation, file.lines.range(allocation.directive.span.start, allocation.directive.span.end), settings) : null;
  return { findings: kept, failures, estimate };
}

const SUPPRESSION = /green-ai:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?/y;

/** Line → suppressed rule ids from `# green-ai: ignore[GA701]` (YAML, shell) or `// green-ai: ignore[...]` (JSONC) comments. */
function suppressionsOf(text: string, position: (offset: number) => { line: number }, format: ConfigFormat): Map<number, Set<string>> {
  const map = new Map<number, Set<string>>();
  const marker = format === 'json' ? '//' : '#';
  for (let at = text.indexOf('green-ai:'); at !== -1; at = text.indexOf('green-ai:', at + 1)) {
    const lineStart = text.lastIndexOf('\n', at) + 1;
    if (!text.slice(lineStart, at).includes(marker)) continue;
    SUPPRESSION.lastIndex = at;
    const match = SUPPRESSION.exec(text);
    if (!match) continue;
    const ids = match[1] === undefined ? ['*'] : match[1].split(',').map((id) => id.trim().toUpperCase()).filter(Boolean);
    const line = position(at).line;
    const set = map.get(line) ?? new Set<string>();
    for (const id of ids) set.add(id);
    map.set(line, set);
  }
  return map;
}

function pathOf(uri: string): string {
  try {
    return uri.startsWith('file:') ? decodeURIComponent(new URL(uri).pathname) : uri.replace(/\\/g, '/');
  } catch {
    return uri;
  }
}
