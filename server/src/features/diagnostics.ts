/**
 * Publishes diagnostics: each change schedules an analysis after a short quiet period (greenAI.analysisDelayMs);
 * a newer change cancels the pending one, and a result is published only if the document is still at the
 * version that was analysed. The latest findings per document feed hovers and code actions.
 */
import { DiagnosticSeverity, type Connection, type Diagnostic } from 'vscode-languageserver';
import { DIAGNOSTIC_SOURCE, STATUS_NOTIFICATION, type StatusParams } from '../../../shared/src/protocol';
import { docsUrlFor, type Severity } from '../../../shared/src/ruleMeta';
import { analyzeConfig } from '../analysis/configEngine';
import { analyzePython, FILE_NOTE_ID, precheck, type Finding } from '../analysis/engine';
import { configFormatOf } from '../configs/configFile';
import type { ScriptEstimate } from '../estimates/estimate';
import type { DocumentStore } from '../documents/documentStore';
import { ruleById } from '../rules';
import type { WorkspaceSettings } from '../workspace';

export interface AnalysisResult {
  version: number;
  findings: Finding[];
  /** The estimate of the run the document describes, for the code lens (null when it does not train). */
  estimate: ScriptEstimate | null;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(uri: string, finding: Finding): Diagnostic {
  const rule = ruleById(finding.ruleId);
  return {
    range: finding.range,
    severity: SEVERITY[finding.severity],
    code: finding.ruleId,
    ...(rule ? { codeDescription: { href: docsUrlFor(rule.meta) } } : {}),
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
    ...(finding.related.length > 0
      ? { relatedInformation: finding.related.map((r) => ({ location: { uri, range: r.range }, message: r.message })) }
      : {}),
    data: { ruleId: finding.ruleId },
  };
}

export class DiagnosticsFeature {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly results = new Map<string, AnalysisResult>();
  /** Called after each publish (the server asks clients to refresh code lenses). */
  onPublished: ((uri: string) => void) | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly documents: DocumentStore,
    private readonly workspace: WorkspaceSettings,
  ) {}

  schedule(uri: string, delayMs?: number): void {
    clearTimeout(this.timers.get(uri));
    const run = async () => {
      this.timers.delete(uri);
      await this.publish(uri);
    };
    if (delayMs === 0) {
      void run();
      return;
    }
    void this.workspace.settingsFor(uri).then((settings) => {
      clearTimeout(this.timers.get(uri));
      this.timers.set(uri, setTimeout(() => void run(), delayMs ?? settings.analysisDelayMs));
    });
  }

  scheduleAll(): void {
    for (const document of this.documents.all()) this.schedule(document.document.uri);
  }

  forget(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.results.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  /** Findings for the document's current version, analysing now if the cached ones are stale. */
  async current(uri: string): Promise<Finding[]> {
    return (await this.currentResult(uri))?.findings ?? [];
  }

  /** The whole result (findings and estimate) for the document's current version. */
  async currentResult(uri: string): Promise<AnalysisResult | undefined> {
    const document = this.documents.get(uri);
    if (!document) return undefined;
    const cached = this.results.get(uri);
    if (cached && cached.version === document.version) return cached;
    return this.analyze(uri);
  }

  private async publish(uri: string): Promise<void> {
    const result = await this.analyze(uri);
    const document = this.documents.get(uri);
    if (!result || !document || document.version !== result.version) return;
    await this.connection.sendDiagnostics({
      uri,
      version: result.version,
      diagnostics: result.findings.map((finding) => toDiagnostic(uri, finding)),
    });
    this.onPublished?.(uri);
  }

  private async analyze(uri: string): Promise<AnalysisResult | undefined> {
    const settings = await this.workspace.settingsFor(uri);
    const document = this.documents.get(uri);
    if (!document) return undefined;
    const version = document.version;
    if (!settings.enable || !this.workspace.isSelected(uri, settings)) {
      const empty = { version, findings: [], estimate: null };
      this.results.set(uri, empty);
      return empty;
    }
    const started = performance.now();
    const text = document.document.getText();
    const configFormat = configFormatOf(document.document.languageId, uri);
    const note = configFormat ? null : precheck(text, settings);
    let findings: Finding[];
    let estimate: ScriptEstimate | null = null;
    if (note) {
      findings = [note];
    } else {
      try {
        // Configs and job scripts are parsed here, once per analysed version; Python uses the document's incremental tree.
        const outcome = configFormat ? analyzeConfig(text, uri, configFormat, settings) : analyzePython(document.tree(), text, uri, settings);
        for (const failure of outcome.failures) {
          const detail = failure.error instanceof Error ? failure.error.stack ?? failure.error.message : String(failure.error);
          this.connection.console.error(`Rule ${failure.ruleId} failed on ${failure.uri}: ${detail}`);
        }
        findings = outcome.findings;
        estimate = outcome.estimate;
      } catch (error) {
        this.connection.console.error(`Analysis of ${uri} failed: ${error instanceof Error ? error.stack : String(error)}`);
        this.sendStatus({ state: 'error', uri, message: 'analysis failed; see the Green AI output' });
        return undefined;
      }
    }
    const result = { version, findings, estimate };
    this.results.set(uri, result);
    this.sendStatus({ state: 'ready', uri, durationMs: performance.now() - started, findings: findings.filter((f) => f.ruleId !== FILE_NOTE_ID).length });
    return result;
  }

  private sendStatus(params: StatusParams): void {
    void this.connection.sendNotification(STATUS_NOTIFICATION, params);
  }
}
