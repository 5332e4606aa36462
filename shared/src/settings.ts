/**
 * The `greenAI.*` settings: one zod schema per key is the single source of truth. package.json's
 * `contributes.configuration` is generated from it (`npm run docs`) and a test fails on drift.
 *
 * Adding a setting: (1) add it to SETTINGS below, (2) run `npm run docs`, (3) read it from
 * `Settings` where it matters, (4) add a test that changes it and observes the effect.
 */
import { z } from 'zod';
import { applyOverrides, loadTables, OverridesSchema, resolveGpu, resolveLocation, type Overrides, type Result } from './carbon/index';
import { SEVERITIES } from './ruleMeta';

export const RULE_LEVELS = ['off', 'default', ...SEVERITIES] as const;
export type RuleLevel = (typeof RULE_LEVELS)[number];

const ruleId = z.string().regex(/^GA\d{3}$/, 'expected a rule id such as GA101');

/** Adds the carbon model's problem (with its "did you mean") as the issue when a name does not resolve. */
function resolvesWith(resolve: (value: string) => Result<unknown>) {
  return (value: string, context: z.RefinementCtx) => {
    const result = resolve(value);
    if (!result.ok) context.addIssue({ code: 'custom', message: result.problems.map((p) => p.message.replace(/\.$/, '')).join('; ') });
  };
}

/** Overrides must parse and also apply (known providers, complete new GPU rows); the model's message names the path. */
function appliesToTables(value: Overrides, context: z.RefinementCtx): void {
  const tables = loadTables();
  if (!tables.ok) return;
  const result = applyOverrides(tables.value, value);
  if (!result.ok) {
    for (const problem of result.problems) {
      const path = (problem.path ?? '').replace(/^overrides\.?/, '');
      const message = problem.message.replace(/^overrides[^:]*: /, '');
      context.addIssue({ code: 'custom', message, path: path ? path.split('.') : [] });
    }
  }
}

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
    default: ['**/*.py', '**/*.yaml', '**/*.yml', '**/*.json', '**/*.jsonc', '**/*.sbatch', '**/*.slurm', '**/*.sh'],
    description:
      'Glob patterns (relative to the workspace folder) of files to analyse: Python training scripts, and the YAML/JSON configs and SLURM/launcher scripts that decide a run (only files recognised as training configs get findings).',
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
  'hardware.gpu': {
    schema: z.string().min(1).superRefine(resolvesWith((name) => resolveGpu(name))),
    default: 'A100-SXM4-80GB',
    description:
      'Accelerator the training run uses, for the energy and carbon estimate: a name as nvidia-smi prints it or a short one (`H100`, `A100-SXM4-80GB`, `L4`, `TPU v4`). Ambiguous names resolve to a documented default, shown in the estimate.',
  },
  'hardware.count': {
    schema: z.number().int().positive().max(1_000_000),
    default: 1,
    description: 'Number of accelerators of the run, unless the script shows it (torchrun/DDP world size).',
  },
  location: {
    schema: z.string().min(1).superRefine(resolvesWith((name) => resolveLocation(name))),
    default: 'WORLD',
    description:
      'Where the run uses electricity, for its grid carbon intensity: an ISO country code (`DE`, `FR`, `US`), a cloud region (`aws:us-east-1`, `gcp:europe-west4`, `azure:westeurope`), or `WORLD` for the world average.',
  },
  'carbon.overrides': {
    schema: OverridesSchema.superRefine(appliesToTables),
    default: {} as Overrides,
    description:
      'Overrides of the carbon model\'s tables, shown as "User override" in the estimate\'s assumptions: `gpus` (patch or add rows), `cpus`, `countries` / `cloudRegions` (gCO2e/kWh), `providers` (`pue`, `wue`), `defaults` (any model default, e.g. `{"gpuUtilisation": 0.7}`) and `mfu` (per precision). See docs/estimates.md.',
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
    const value = settingValue(input, key);
    if (value === undefined || value === null) continue;
    if (key === 'rules') {
      settings.rules = parseRuleLevels(value, problems);
      continue;
    }
    const result = SETTINGS[key].schema.safeParse(value);
    if (result.success) {
      (settings as Record<SettingKey, unknown>)[key] = result.data;
    } else {
      const path = result.error.issues[0]?.path ?? [];
      problems.push({
        key: [SETTINGS_SECTION, key, ...path.map(String)].join('.'),
        message: `${describeIssue(result.error)}; using the default ${JSON.stringify(SETTINGS[key].default)}`,
      });
    }
  }
  return { settings, problems };
}

/**
 * A key's raw value. Dotted keys (`hardware.gpu`) come flat from a settings file or initializationOptions,
 * and nested (`{hardware: {gpu}}`) from VS Code's workspace/configuration; both are read, the flat one first.
 */
function settingValue(input: Record<string, unknown>, key: string): unknown {
  if (key in input) return input[key];
  let current: unknown = input;
  for (const part of key.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
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
  return error.issues[0]?.message ?? 'invalid value';
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
