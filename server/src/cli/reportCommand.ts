/**
 * `green-ai report [RUNS_DIR | RUN_DIR] [--format md|html|csv|json|model-card] [--out FILE] [--finalize]`: the footprint
 * report of profiled runs (`green-ai run`), one run or a folder of runs. `--finalize` writes run.json for runs whose
 * recorder never finished (status "incomplete"). Exit codes: 0 reported, 1 no runs or an unreadable run folder,
 * 2 usage errors. (Not to be confused with report.ts, which formats `check` findings.)
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RUNS_DIR, RUN_FILES, finalizeRunDir, formatCsv, formatHtml, formatMarkdown, formatModelCard, readRuns, runDirsOf, totalsOf, type ReportInput } from '../../../shared/src/runs/index';
import { VERSION } from '../../../shared/src/version';

export const REPORT_USAGE = `Usage: green-ai report [RUNS_DIR | RUN_DIR] [options]

The energy and carbon footprint of runs recorded by \`green-ai run\` (default folder: ${DEFAULT_RUNS_DIR}).

Options:
  --format md|html|csv|json|model-card
                          md (default) and html: report for an ESG or model-governance review;
                          csv: CodeCarbon emissions.csv columns; json: the run records;
                          model-card: Hugging Face model card co2_eq_emissions block (sum of the runs)
  --out FILE              write the report to FILE instead of standard output
  --finalize              write run.json for unfinished runs (status "incomplete"); alone, does only that
  --training-type TEXT    model-card training_type ("pre-training", "fine-tuning")
  -h, --help              show this help
`;

const FORMATS = ['md', 'html', 'csv', 'json', 'model-card'] as const;
type Format = (typeof FORMATS)[number];

export interface ReportIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

export async function reportCommand(argv: readonly string[], io: ReportIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        out: { type: 'string' },
        finalize: { type: 'boolean' },
        'training-type': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage(io, error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(REPORT_USAGE);
    return 0;
  }
  if (positionals.length > 1) return usage(io, `give one runs folder or run folder, not ${positionals.length}`);
  const format = values.format ?? 'md';
  if (!(FORMATS as readonly string[]).includes(format)) return usage(io, `--format must be ${FORMATS.join(', ')}, not "${format}"`);
  const target = resolve(io.cwd, positionals[0] ?? DEFAULT_RUNS_DIR);
  const shown = relative(io.cwd, target) || '.';
  if (!existsSync(target)) {
    io.stderr(`green-ai report: no such folder: ${shown}${positionals[0] === undefined ? ' (record a run with `green-ai run -- <command>` first)' : ''}\n`);
    return 1;
  }

  let failed = false;
  if (values.finalize) {
    for (const dir of await runDirsOf(target)) {
      if (existsSync(join(dir, RUN_FILES.record))) continue;
      const result = await finalizeRunDir(dir);
      const name = relative(io.cwd, dir) || dir;
      if (result.ok) io.stderr(`green-ai report: finalised ${name} as ${result.record.status} (${result.record.energy.samples} samples)\n`);
      else {
        io.stderr(`green-ai report: cannot finalise ${name}: ${result.problem}\n`);
        failed = true;
      }
    }
    if (values.format === undefined) return failed ? 1 : 0;
  }

  const { runs, problems } = await readRuns(target);
  for (const { problem } of problems) io.stderr(`green-ai report: skipped ${problem}\n`);
  if (runs.length === 0) {
    io.stderr(`green-ai report: no readable run in ${shown}\n`);
    return 1;
  }
  const input: ReportInput = { runs, problems, generatedAt: new Date(), version: VERSION, scope: shown };
  const text = render(format as Format, input, values['training-type']);
  if (values.out !== undefined) {
    const out = resolve(io.cwd, values.out);
    try {
      await writeFile(out, text, 'utf8');
    } catch (error) {
      io.stderr(`green-ai report: cannot write --out ${values.out}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    io.stderr(`green-ai report: wrote ${relative(io.cwd, out) || out} (${runs.length} run${runs.length === 1 ? '' : 's'})\n`);
  } else {
    io.stdout(text);
  }
  return failed || problems.length > 0 ? 1 : 0;
}

function render(format: Format, input: ReportInput, trainingType: string | undefined): string {
  switch (format) {
    case 'md':
      return formatMarkdown(input);
    case 'html':
      return formatHtml(input);
    case 'csv':
      return formatCsv(input.runs);
    case 'model-card':
      return formatModelCard(input.runs, trainingType !== undefined ? { trainingType, version: input.version } : { version: input.version });
    case 'json': {
      const totals = totalsOf(input.runs);
      return `${JSON.stringify({ schemaVersion: 1, generatedAt: input.generatedAt.toISOString(), greenAiVersion: input.version, totals, runs: input.runs, problems: input.problems }, null, 2)}\n`;
    }
  }
}

function usage(io: ReportIo, message: string): number {
  io.stderr(`green-ai report: ${message}\n\n${REPORT_USAGE}`);
  return 2;
}
