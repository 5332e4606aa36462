/** Metadata every rule declares: the stable facts shown in diagnostics, hovers, docs and SARIF. */

export const SEVERITIES = ['error', 'warning', 'information', 'hint'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type RuleCategory =
  | 'precision'
  | 'input-pipeline'
  | 'training-loop'
  | 'kernels'
  | 'distributed'
  | 'schedule';

/** core: high value, low false-positive risk, on by default. advanced: heuristic, lower severity or opt-in. */
export type RuleTier = 'core' | 'advanced';

export interface Citation {
  title: string;
  url: string;
  /** Year the cited material was published or last checked. */
  year: number;
}

export interface RuleMeta {
  /** Stable diagnostic code, never reused, e.g. `GA101`. */
  id: string;
  /** Kebab-case name used in messages and docs, e.g. `amp-missing`. */
  slug: string;
  title: string;
  category: RuleCategory;
  tier: RuleTier;
  defaultSeverity: Severity;
  /** Whether the rule runs when the user has not configured it. */
  enabledByDefault: boolean;
  /** One paragraph: why the pattern costs energy, in terms an ML engineer recognises. */
  why: string;
  /** What to do instead, in one or two sentences. */
  fix: string;
  sources: readonly Citation[];
}

export const DOCS_BASE_URL = 'https://github.com/green-ai/green-ai/blob/main/docs/rules.md';

export function docsUrlFor(meta: Pick<RuleMeta, 'id' | 'slug'>): string {
  return `${DOCS_BASE_URL}#${meta.id.toLowerCase()}-${meta.slug}`;
}
