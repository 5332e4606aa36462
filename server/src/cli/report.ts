/**
 * The CLI's output formats: human text, the documented JSON shape, and SARIF 2.1.0 for code scanning.
 * Notebook findings are located by cell: `nb.ipynb:cell 3:12:5:` in text, a `cell` field next to the in-cell range
 * in JSON, and in SARIF the region of the .ipynb text that holds the code plus a `notebookCell` property.
 */
import path from 'node:path';
import { docsUrlFor, type RuleMeta, type Severity } from '../../../shared/src/ruleMeta';
import type { LocatedFinding } from '../notebooks/ipynb';

export interface FileFindings {
  file: string;
  findings: LocatedFinding[];
}

export function formatText(results: readonly FileFindings[], cwd: string): string {
  const lines: string[] = [];
  let total = 0;
  for (const { file, findings } of results) {
    for (const f of findings) {
      total++;
      const cell = f.notebook ? `cell ${f.notebook.cell}:` : '';
      lines.push(`${path.relative(cwd, file)}:${cell}${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity} ${f.ruleId} ${f.message}`);
    }
  }
  const withFindings = results.filter((r) => r.findings.length > 0).length;
  lines.push(`${total} finding${total === 1 ? '' : 's'} in ${withFindings} of ${results.length} file${results.length === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

export function formatJson(results: readonly FileFindings[], cwd: string): string {
  return (
    JSON.stringify({
      version: 1,
      files: results.length,
      findings: results.flatMap(({ file, findings }) =>
        findings.map((f) => ({
          file: path.relative(cwd, file),
          ...(f.notebook ? { cell: f.notebook.cell, ...(f.notebook.cellId !== undefined ? { cellId: f.notebook.cellId } : {}) } : {}),
          range: f.range,
          code: f.ruleId,
          severity: f.severity,
          message: f.message,
        })),
      ),
    }) + '\n'
  );
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

export function formatSarif(results: readonly FileFindings[], rules: readonly RuleMeta[], cwd: string, version: string): string {
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'green-ai',
            version,
            informationUri: 'https://github.com/green-ai/green-ai',
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.slug,
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.why },
              helpUri: docsUrlFor(rule),
              help: {
                text: `${rule.why}\n\nWhat to do: ${rule.fix}`,
                markdown: `${rule.why}\n\n**What to do.** ${rule.fix}\n\n${rule.sources.map((s) => `- [${s.title}](${s.url}) (${s.year})`).join('\n')}`,
              },
              defaultConfiguration: { level: SARIF_LEVEL[rule.defaultSeverity], enabled: rule.enabledByDefault },
              properties: { tags: ['energy', 'green-ai', rule.category], precision: rule.tier === 'core' ? 'high' : 'medium' },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToFileUri(cwd)}/` } },
        results: results.flatMap(({ file, findings }) =>
          findings.map((f) => ({
            ruleId: f.ruleId,
            ...(ruleIndex.has(f.ruleId) ? { ruleIndex: ruleIndex.get(f.ruleId) } : {}),
            level: SARIF_LEVEL[f.severity],
            message: { text: f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: path.relative(cwd, file).split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' },
                  region: f.notebook
                    ? f.notebook.fileRegion
                    : {
                        startLine: f.range.start.line + 1,
                        startColumn: f.range.start.character + 1,
                        endLine: f.range.end.line + 1,
                        endColumn: f.range.end.character + 1,
                      },
                },
                ...(f.notebook ? { logicalLocations: [{ name: `cell ${f.notebook.cell}`, kind: 'module' }] } : {}),
              },
            ],
            ...(f.notebook
              ? {
                  properties: {
                    notebookCell: {
                      cell: f.notebook.cell,
                      ...(f.notebook.cellId !== undefined ? { cellId: f.notebook.cellId } : {}),
                      startLine: f.range.start.line + 1,
                      startColumn: f.range.start.character + 1,
                      endLine: f.range.end.line + 1,
                      endColumn: f.range.end.character + 1,
                    },
                  },
                }
              : {}),
          })),
        ),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

function pathToFileUri(p: string): string {
  return 'file://' + p.split(path.sep).map(encodeURIComponent).join('/');
}
