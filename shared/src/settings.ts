/**
 * The `greenAI.*` settings: one zod schema per key is the single source of truth. package.json's
 * `contributes.configuration` is generated from it (`npm run docs`) and a test fails on drift.
 *
 * Adding a setting: (1) add it to SETTINGS below, (2) run `npm run docs`, (3) read it from
 * `Settings` where it matters, (4) add a test that changes it and observes the effect.
 */
import { z } from 'zod';
import { SEVERITIES } from './ruleMeta';

export const RULE_LEVELS = ['off', 'default', ...SEVERITIES] as const;
export type RuleLevel = (typeof RULE_LEVELS)[number];

const ruleId = z.string().regex(/^GA\d{3}$/, 'expected a rule id such as GA101');

export const SETTINGS = {
  enable: {
    schema: z.boolean(),
    default: true,
    description: 'Analyse training scripts and show Green AI diagnostics.',
  },
  rules: {
    schema: z.record(ruleId, z.enum(RULE_LEVELS)),
    default: {} as Record<string, RuleLevel>,
    description:
      'Per-rule level by rule id, e.g. {"GA202": "off", "GA301": "error"}. "default" uses the rule\'s own severity; advanced rules that are off by default are switched on by giving them a severity.',
  },
  include: {
    schema: z.array(z.string().min(1)),
    default: ['**/*.py'],
    description: 'Glob patterns (relative to the workspace folder) of files to analyse.',
  },
  exclude: {
    schema: z.array(z.string().min(1)),
    default: ['**/.git/**', '**/node_modules/**', '**/.venv/**', '**/venv/**', '**/site-packages/**', '**/__pycache__/**'],
    description: 'Glob patterns of files never to analyse; wins over include.',
  },
  maxFileSizeMB: {
    schema: z.number().positive().max(1024),
    default: 2,
    description: 'Files larger than this (in MB) get one information diagnostic instead of analysis.',
  },
  analysisDelayMs: {
    schema: z.number().int().min(0).max(5000),
    default: 120,
    description: 'Delay after the last keystroke before a document is re-analysed.',
  },
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { -readonly [K in SettingKey]: z.infer<(typeof SETTINGS)[K]['schema']> };

export const SETTINGS_SECTION = 'greenAI';

export function defaultSettings(): Settings {
  return structuredClone(
    Object.fromEntries(Object.entries(SETTINGS).map(([key, spec]) => [key, spec.default])) as unknown as Settings,
  );
}

export interface SettingProblem {
  /** Full key path as the user writes it, e.g. `greenAI.rules.GA101`. */
  key: string;
  message: string;
}

/**
 * Validates each key on its own, so that one bad value falls back to that key's default only.
 * Bad entries inside `rules` are dropped one by one for the same reason.
 */
export function parseSettings(raw: unknown): { settings: Settings; problems: SettingProblem[] } {
  const settings = defaultSettings();
  const problems: SettingProblem[] = [];
  if (raw === undefined || raw === null) return { settings, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ key: SETTINGS_SECTION, message: 'expected an object of settings' });
    return { settings, problems };
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (key === 'rules') {
      settings.rules = parseRuleLevels(value, problems);
      continue;
    }
    const result = SETTINGS[key].schema.safeParse(value);
    if (result.success) {
      (settings as Record<SettingKey, unknown>)[key] = result.data;
    } else {
      problems.push({
        key: `${SETTINGS_SECTION}.${key}`,
        message: `${describeIssue(result.error)}; using the default ${JSON.stringify(SETTINGS[key].default)}`,
      });
    }
  }
  return { settings, problems };
}

function parseRuleLevels(value: unknown, problems: SettingProblem[]): Record<string, RuleLevel> {
  const levels: Record<string, RuleLevel> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ key: `${SETTINGS_SECTION}.rules`, message: 'expected an object mapping rule ids to levels' });
    return levels;
  }
  for (const [id, level] of Object.entries(value)) {
    const idOk = ruleId.safeParse(id);
    const levelOk = z.enum(RULE_LEVELS).safeParse(level);
    if (!idOk.success) {
      problems.push({ key: `${SETTINGS_SECTION}.rules.${id}`, message: 'not a rule id (expected e.g. GA101); ignored' });
    } else if (!levelOk.success) {
      problems.push({
        key: `${SETTINGS_SECTION}.rules.${id}`,
        message: `expected one of ${RULE_LEVELS.join(', ')}, got ${JSON.stringify(level)}; using the rule's default`,
      });
    } else {
      levels[id] = levelOk.data;
    }
  }
  return levels;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return `${issue.message}${where}`;
}

/** JSON schema of each setting, for package.json's contributes.configuration. */
export function configurationContribution(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS)) {
    const jsonSchema = z.toJSONSchema(spec.schema, { target: 'draft-7' }) as Record<string, unknown>;
    delete jsonSchema.$schema;
    properties[`${SETTINGS_SECTION}.${key}`] = {
      ...jsonSchema,
      default: spec.default,
      markdownDescription: spec.description,
      scope: 'resource',
    };
  }
  return { title: 'Green AI', properties };
}
