/**
 * Publishes diagnostics: each change schedules an analysis after a short quiet period (greenAI.analysisDelayMs);
 * a newer change cancels the pending one, and a result is published only if the document is still at the
 * version that was analysed. The latest findings per document feed hovers and code actions.
 *
 * Configs and job scripts are analysed with the workspace's job graph (server/src/jobs/): a finding in one file can be
 * caused by another (a DeepSpeed config run by one process, a batch script whose entry script uses one GPU). When a
 * file of a job changes — an edit, a close (the disk text applies again) or a file event from the client — every
 * *open* document of that job is analysed again and republished. Files that are not open get no diagnostics: the
 * editor shows them when they are opened, and stale problems of closed files would never be cleared otherwise.
 */
import { DiagnosticSeverity, type Connection, type Diagnostic } from 'vscode-languageserver';
import { DIAGNOSTIC_SOURCE, STATUS_NOTIFICATION, type StatusParams } from '../../../shared/src/protocol';
import { docsUrlFor, type Severity } from '../../../shared/src/ruleMeta';
import { analyzeConfig } from '../analysis/configEngine';
import { analyzePython, FILE_NOTE_ID, precheck, type Finding } from '../analysis/engine';
import { siblingFileReaderFor } from '../analysis/siblingFileReader';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configFormatOf } from '../configs/configFile';
import { NO_JOBS } from '../jobs/graph';
import { overlayReader } from '../jobs/reader';
import { WorkspaceJobs } from '../jobs/workspaceJobs';
import type { ScriptEstimate } from '../estimates/estimate';
import { withJobFacts } from '../estimates/jobEstimate';
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
      ? { relatedInformation: finding.related.map((r) => ({ location: { uri: r.uri ?? uri, range: r.range }, message: r.message })) }
      : {}),
    data: { ruleId: finding.ruleId },
  };
}

export class DiagnosticsFeature {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly results = new Map<string, AnalysisResult>();
  /** Documents whose own text changed since their last analysis (their jobs are rebuilt before it). */
  private readonly ownChanges = new Set<string>();
  private folders: string[] = [];
  /** Called after each publish (the server asks clients to refresh code lenses). */
  onPublished: ((uri: string) => void) | undefined;
  /** The job graph over the workspace folders; reads open documents first, then the disk. */
  readonly jobs = new WorkspaceJobs(overlayReader((file) => this.openText(file)));

  constructor(
    private readonly connection: Connection,
    private readonly documents: DocumentStore,
    private readonly workspace: WorkspaceSettings,
  ) {}

  schedule(uri: string, delayMs?: number): void {
    this.scheduleAnalysis(uri, delayMs, true);
  }

  /** Workspace folders (file URIs) the job graph discovers batch scripts in. */
  setWorkspaceFolders(uris: readonly string[]): void {
    this.folders = uris.flatMap((uri) => (uri.startsWith('file:') ? [fileURLToPath(uri)] : []));
    this.jobs.setRoots(this.folders);
  }

  changeWorkspaceFolders(added: readonly string[], removed: readonly string[]): void {
    const gone = new Set(removed.flatMap((uri) => (uri.startsWith('file:') ? [fileURLToPath(uri)] : [])));
    this.setWorkspaceFolders([...this.folders.filter((f) => !gone.has(f)).map((f) => pathToFileURL(f).href), ...added]);
  }

  /** A file changed on disk (client file event): re-analyse the open documents of the jobs it belongs to. */
  fileChangedOnDisk(uri: string): void {
    if (this.documents.get(uri)) return; // the editor's text wins while it is open
    this.jobFileChanged(uri);
  }

  private jobFileChanged(uri: string): void {
    if (!uri.startsWith('file:')) return;
    const changed = fileURLToPath(uri);
    const affected = this.jobs.fileChanged(changed);
    for (const document of this.documents.all()) {
      const other = document.document.uri;
      if (other === uri || !other.startsWith('file:') || !affected.has(fileURLToPath(other))) continue;
      this.results.delete(other);
      this.scheduleAnalysis(other, undefined, false);
    }
  }

  private openText(file: string): string | undefined {
    for (const document of this.documents.all()) {
      const uri = document.document.uri;
      if (uri.startsWith('file:') && fileURLToPath(uri) === file) return document.document.getText();
    }
    return undefined;
  }

  /** `ownChange`: the document itself changed, so the jobs it belongs to are rebuilt first and their open files follow. */
  private scheduleAnalysis(uri: string, delayMs: number | undefined, ownChange: boolean): void {
    clearTimeout(this.timers.get(uri));
    if (ownChange) this.ownChanges.add(uri);
    const run = async () => {
      this.timers.delete(uri);
      if (this.ownChanges.delete(uri)) this.jobFileChanged(uri);
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
    this.jobFileChanged(uri); // closed: the text on disk is the job's again
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
        const filePath = uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
        if (filePath && configFormat === 'shell') this.jobs.schedulerText(filePath, text);
        // The job graph's view of this file: the job it schedules, the jobs that run it (server/src/jobs/).
        const jobs = filePath && configFormat ? this.jobs.viewOf(filePath) : NO_JOBS;
        // An entry script's estimate takes its GPUs and time limit from the job that launches it (estimates/jobEstimate.ts).
        const pythonSettings = filePath && !configFormat ? withJobFacts(settings, this.jobs.viewOf(filePath), filePath) : settings;
        const outcome = configFormat ? analyzeConfig(text, uri, configFormat, settings, undefined, jobs) : analyzePython(document.tree(), text, uri, pythonSettings, undefined, { siblingFiles: siblingFileReaderFor(uri) });
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
