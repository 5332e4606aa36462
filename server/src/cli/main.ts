/**
 * `green-ai check [paths...] [--format text|json|sarif] [--fail-on error|warning|info|never] [--config FILE]`
 * The same engine as the language server, for CI and clusters. Exit codes: 0 clean (below --fail-on),
 * 1 findings at or above --fail-on, 2 usage or configuration errors.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Severity } from '../../../shared/src/ruleMeta';
import { parseSettingsLayer, type Settings } from '../../../shared/src/settings';
import { CliProjectSettings, formatProjectProblems } from '../project/cliProjectSettings';
import { VERSION } from '../../../shared/src/version';
import { allRuleMeta } from '../rules';
import { analyzeFiles, defaultJobs } from './analyzeFiles';
import { estimateCommand } from './estimate';
import { powerCommand } from './power';
import { reportCommand } from './reportCommand';
import { runCommand } from './run';
import { collectFiles } from './files';
import { formatJson, formatSarif, formatText, type FileFindings } from './report';

export const USAGE = `Usage: green-ai check [paths...] [options]
       green-ai estimate [FILE...] [options]   (green-ai estimate --help for its options)
       green-ai power [options]                (live power of this machine; green-ai power --help)
       green-ai run [options] -- COMMAND...    (measure a command's energy; green-ai run --help)
       green-ai report [RUNS_DIR] [options]    (footprint report of recorded runs; green-ai report --help)

Finds energy-wasting patterns in ML training scripts; \`estimate\` estimates a run's energy, CO2e and water.

Options:
  --format text|json|sarif        output format (default: text)
  --fail-on error|warning|info|never
                                  exit 1 when a finding at or above this severity exists (default: warning)
  -j, --jobs N                    analyse with N threads (default: the number of CPUs, at most 8)
  --config FILE                   JSON file of settings, same keys as greenAI.* in VS Code
                                  (e.g. {"rules": {"GA202": "off"}, "exclude": ["legacy/**"]});
                                  its keys override the project file (pyproject.toml [tool.green-ai]
                                  or .green-ai.toml, the nearest above each file; docs/configuration.md)
  -h, --help                      show this help
  -v, --version                   print the version
`;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  cwd: string;
}

class UsageError extends Error {}

const FAIL_ON = { error: 0, warning: 1, info: 2, never: -1 } as const;
const RANK: Record<Severity, number> = { error: 0, warning: 1, information: 2, hint: 3 };

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`green-ai: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

async function run(argv: readonly string[], io: Io): Promise<number> {
  if (argv[0] === 'estimate') return estimateCommand(argv.slice(1), io);
  if (argv[0] === 'power') return powerCommand(argv.slice(1), io);
  if (argv[0] === 'run') return runCommand(argv.slice(1), io);
  if (argv[0] === 'report') return reportCommand(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'text' },
        'fail-on': { type: 'string', default: 'warning' },
        config: { type: 'string' },
        jobs: { type: 'string', short: 'j' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (values.version) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const [command, ...paths] = positionals;
  if (command !== 'check') throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  const format = values.format;
  if (format !== 'text' && format !== 'json' && format !== 'sarif') throw new UsageError(`--format must be text, json or sarif, not "${format}"`);
  const failOn = values['fail-on'];
  if (!(failOn in FAIL_ON)) throw new UsageError(`--fail-on must be error, warning, info or never, not "${failOn}"`);

  const explicit = values.config ? loadConfig(values.config, io) : {};
  if (!explicit) return 2;
  // Folders are walked with the settings of the project file nearest to them; each file is analysed with its own.
  const projects = new CliProjectSettings(explicit);
  const selection = { files: new Set<string>(), missing: [] as string[] };
  for (const given of paths.length > 0 ? paths : ['.']) {
    const absolute = path.resolve(io.cwd, given);
    let start: string;
    try {
      start = statSync(absolute).isDirectory() ? absolute : path.dirname(absolute);
    } catch {
      selection.missing.push(given);
      continue;
    }
    const found = collectFiles([given], projects.forDirectory(start).settings, io.cwd);
    for (const file of found.files) selection.files.add(file);
  }
  if (selection.missing.length > 0) throw new UsageError(`no such file or directory: ${selection.missing.join(', ')}`);
  const groups = new Map<Settings, string[]>();
  for (const file of [...selection.files].sort()) {
    const { settings } = projects.forFile(file);
    groups.set(settings, [...(groups.get(settings) ?? []), file]);
  }
  // Invalid keys are warnings (the key is ignored); a project file that does not parse is ignored and exits 2 below.
  io.stderr(formatProjectProblems(projects.configs(), io.cwd));
  const projectFileBroken = projects.configs().some((config) => config.problems.some((problem) => problem.severity === 'error'));

  const jobs = values.jobs === undefined ? defaultJobs() : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a whole number of at least 1, not "${values.jobs}"`);
  const total = selection.files.size;
  const showProgress = io.isTTY && total > 50;
  const analysed = [];
  let before = 0;
  for (const [settings, files] of groups) {
    analysed.push(
      ...(await analyzeFiles(files, settings, jobs, (done) => {
        if (showProgress && ((before + done) % 25 === 0 || before + done === total)) io.stderr(`\rgreen-ai: analysed ${before + done}/${total} files`);
      })),
    );
    before += files.length;
  }
  analysed.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  if (showProgress) io.stderr('\n');
  for (const { errors } of analysed) for (const error of errors) io.stderr(`green-ai: ${error}\n`);
  const results: FileFindings[] = analysed.map(({ file, findings }) => ({ file, findings }));

  if (format === 'json') io.stdout(formatJson(results, io.cwd));
  else if (format === 'sarif') io.stdout(formatSarif(results, allRuleMeta(), io.cwd, VERSION));
  else io.stdout(formatText(results, io.cwd));

  const threshold = FAIL_ON[failOn as keyof typeof FAIL_ON];
  const failing = threshold >= 0 && results.some((r) => r.findings.some((f) => RANK[f.severity] <= threshold && f.ruleId !== 'GA000'));
  return projectFileBroken ? 2 : failing ? 1 : 0;
}

function loadConfig(file: string, io: Io): Partial<Settings> | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.resolve(io.cwd, file), 'utf8'));
  } catch (error) {
    io.stderr(`green-ai: cannot read --config ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return null;
  }
  const { values, problems } = parseSettingsLayer(raw);
  for (const problem of problems) io.stderr(`green-ai: ${file}: invalid setting ${problem.key}: ${problem.message}\n`);
  return values;
}

