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
    default: ['**/*.py', '**/*.ipynb', '**/*.yaml', '**/*.yml', '**/*.json', '**/*.jsonc', '**/*.sbatch', '**/*.slurm', '**/*.sh'],
    description:
      'Glob patterns (relative to the workspace folder) of files to analyse: Python training scripts and Jupyter notebooks, and the YAML/JSON configs and SLURM/launcher scripts that decide a run (only files recognised as training configs get findings).',
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
  pythonPath: {
    schema: z.string().refine((value) => value === value.trim(), 'expected a path without leading or trailing spaces'),
    default: '',
    description:
      'Python interpreter for **Run with energy profiling** when the Python extension is not installed or has no interpreter selected. Empty: `python3`. Ignored in untrusted workspaces.',
  },
  'runs.directory': {
    schema: z.string().min(1).refine((value) => value === value.trim(), 'expected a path without leading or trailing spaces'),
    default: '.green-ai/runs',
    description:
      'Folder where profiled runs are recorded (one sub-folder per run with its `run.json` and reports), relative to the workspace folder or absolute. The **Green AI Runs** view lists it.',
  },
  'power.intervalMs': {
    schema: z.number().int().min(100).max(60_000),
    default: 1000,
    description:
      'Sampling period of the live power panel and status bar item, in ms. Shorter periods follow load changes closely; the panel redraws at most twice a second whatever the period.',
  },
  'power.nvidiaSmiPath': {
    schema: z.string().min(1).refine((value) => value === value.trim(), 'expected a path without leading or trailing spaces'),
    default: 'nvidia-smi',
    description:
      'The `nvidia-smi` binary the power sampler runs (a name looked up on PATH, or an absolute path). Used when NVML cannot be loaded. Ignored in untrusted workspaces unless set in user settings.',
  },
  'power.powercapRoot': {
    schema: z.string().min(1).refine((value) => value.startsWith('/'), 'expected an absolute path such as /sys/class/powercap'),
    default: '/sys/class/powercap',
    description:
      'Root of the Linux powercap tree whose RAPL `energy_uj` counters give CPU and DRAM energy (Linux only). Without readable counters the CPU is estimated from load × TDP, labelled as such.',
  },
  'power.showInStatusBar': {
    schema: z.boolean(),
    default: true,
    description:
      "Show the machine's total power draw (and a followed run's energy) in the status bar; click it for the power panel. While it is hidden, power is sampled only while the panel is visible.",
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
  /** The setting and the path inside its value (`rules`, ["GA101"]), where the problem is about one setting. */
  setting?: SettingKey;
  path?: string[];
}

/**
 * Validates each key on its own, so that one bad value falls back to that key's default only.
 * Bad entries inside `rules` are dropped one by one for the same reason.
 */
export function parseSettings(raw: unknown): { settings: Settings; problems: SettingProblem[] } {
  const { values, problems } = validateLayer(raw, (key) => `using the default ${JSON.stringify(SETTINGS[key].default)}`, "using the rule's default");
  return { settings: mergeSettingLayers(values), problems };
}

/**
 * One layer of settings (a project file, or the settings a user set explicitly in VS Code): only the keys present in
 * `raw`, each validated on its own. An invalid key is left out so that the layer below it applies; its problem
 * carries the setting and the path inside the value, for callers that point at the offending key in a file.
 */
export function parseSettingsLayer(raw: unknown): { values: Partial<Settings>; problems: SettingProblem[] } {
  return validateLayer(raw, () => 'ignored', 'ignored');
}

/**
 * Defaults < each layer in order. `rules` merges per rule id (a higher layer sets some rules, the lower one keeps the
 * rest, as VS Code merges object settings across user and workspace scopes); every other key is replaced whole.
 */
export function mergeSettingLayers(...layers: readonly Partial<Settings>[]): Settings {
  const settings = defaultSettings();
  for (const layer of layers) {
    for (const key of Object.keys(layer) as SettingKey[]) {
      const value = layer[key];
      if (value === undefined) continue;
      if (key === 'rules') settings.rules = { ...settings.rules, ...(value as Settings['rules']) };
      else (settings as Record<SettingKey, unknown>)[key] = structuredClone(value);
    }
  }
  return settings;
}

/** What `vscode.WorkspaceConfiguration.inspect(key)` returns, reduced to the scopes a user sets explicitly. */
export interface InspectedSetting {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * The `greenAI` section as only the values a user set explicitly (user, workspace or folder settings), flat by key,
 * so that the server can put them above a project file (pyproject.toml `[tool.green-ai]`) instead of letting
 * VS Code's defaults hide it. The most specific scope wins; object values (`rules`, `carbon.overrides`) merge
 * across scopes key by key, as VS Code merges them.
 */
export function explicitSettingsFrom(inspect: (key: SettingKey) => InspectedSetting | undefined): Record<string, unknown> {
  const explicit: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const inspected = inspect(key);
    if (!inspected) continue;
    let value: unknown;
    for (const scoped of [inspected.globalValue, inspected.workspaceValue, inspected.workspaceFolderValue]) {
      if (scoped === undefined) continue;
      value = isPlainObject(value) && isPlainObject(scoped) ? deepMerge(value, scoped) : scoped;
    }
    if (value !== undefined) explicit[key] = value;
  }
  return explicit;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const below = merged[key];
    merged[key] = isPlainObject(below) && isPlainObject(value) ? deepMerge(below, value) : value;
  }
  return merged;
}

function validateLayer(
  raw: unknown,
  fallback: (key: SettingKey) => string,
  ruleFallback: string,
): { values: Partial<Settings>; problems: SettingProblem[] } {
  const values: Partial<Settings> = {};
  const problems: SettingProblem[] = [];
  if (raw === undefined || raw === null) return { values, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ key: SETTINGS_SECTION, message: 'expected an object of settings' });
    return { values, problems };
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const value = settingValue(input, key);
    if (value === undefined || value === null) continue;
    if (key === 'rules') {
      const levels = parseRuleLevels(value, problems, ruleFallback);
      if (levels) values.rules = levels;
      continue;
    }
    const result = SETTINGS[key].schema.safeParse(value);
    if (result.success) {
      (values as Record<SettingKey, unknown>)[key] = result.data;
    } else {
      const path = (result.error.issues[0]?.path ?? []).map(String);
      problems.push({
        key: [SETTINGS_SECTION, key, ...path].join('.'),
        message: `${describeIssue(result.error)}; ${fallback(key)}`,
        setting: key,
        path,
      });
    }
  }
  return { values, problems };
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

function parseRuleLevels(value: unknown, problems: SettingProblem[], fallback: string): Record<string, RuleLevel> | undefined {
  const levels: Record<string, RuleLevel> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ key: `${SETTINGS_SECTION}.rules`, message: 'expected an object mapping rule ids to levels', setting: 'rules', path: [] });
    return undefined;
  }
  for (const [id, level] of Object.entries(value)) {
    const idOk = ruleId.safeParse(id);
    const levelOk = z.enum(RULE_LEVELS).safeParse(level);
    if (!idOk.success) {
      problems.push({ key: `${SETTINGS_SECTION}.rules.${id}`, message: 'not a rule id (expected e.g. GA101); ignored', setting: 'rules', path: [id] });
    } else if (!levelOk.success) {
      problems.push({
        key: `${SETTINGS_SECTION}.rules.${id}`,
        message: `expected one of ${RULE_LEVELS.join(', ')}, got ${JSON.stringify(level)}; ${fallback}`,
        setting: 'rules',
        path: [id],
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
