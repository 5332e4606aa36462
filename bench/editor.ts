/**
 * Editor latency of one language server on one generated script, measured the way a user feels it:
 * didOpen → first diagnostics, then one-character edits typed into a comment line in the middle of the
 * file (which keeps it valid Python, so the findings stay the same), each waiting for the diagnostics
 * of its own version before the next keystroke. Warm-up edits come first and are not counted.
 * A fresh server process per script, so its peak RSS (VmHWM) belongs to that script alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GeneratedScript } from './corpus';
import { LspClient, type Publish, type ServerSpec } from './lspClient';

export interface EditorPlan {
  warmupEdits: number;
  measuredEdits: number;
  /** Stop measuring after this long (slow peers on large files), keeping at least `minimumEdits`. */
  budgetMs: number;
  minimumEdits: number;
  /** Extra files to put next to the script in the server's workspace folder (e.g. a pyright config). */
  workspaceFiles?: Record<string, string>;
}

export interface EditorResult {
  openMs: number;
  openDiagnostics: number;
  editMs: number[];
  lastDiagnostics: number;
  peakRssBytes: number | null;
  /** Most publishes seen for one version: above 1 means the server publishes partial results first. */
  maxPublishesPerVersion: number;
}

function maxPerVersion(log: readonly Publish[]): number {
  const perVersion = new Map<number | undefined, number>();
  for (const publish of log) perVersion.set(publish.version, (perVersion.get(publish.version) ?? 0) + 1);
  return Math.max(0, ...perVersion.values());
}

const TYPED = 'lr warmup and batch size sweep pending ';

/** `scratch` is the folder the server's workspace folder is made in (removed by the caller, also on Ctrl-C). */
export async function measureEditor(spec: ServerSpec, script: GeneratedScript, plan: EditorPlan, scratch = os.tmpdir()): Promise<EditorResult> {
  const folder = mkdtempSync(path.join(scratch, `green-ai-bench-${spec.name}-`));
  let client: LspClient | undefined;
  try {
    const file = path.join(folder, script.fileName ?? 'train.py');
    writeFileSync(file, script.text);
    for (const [name, content] of Object.entries(plan.workspaceFiles ?? {})) writeFileSync(path.join(folder, name), content);
    const uri = pathToFileURL(file).href;

    client = new LspClient(spec, folder);
    await client.initialize(folder, 30_000);

    let version = 1;
    const openSent = await client.open(uri, script.text, version, script.languageId);
    const opened = await client.publishFor(uri, version, openSent, 120_000);

    const lineText = script.text.split('\n')[script.editLine] ?? '';
    let column = lineText.length;
    const editMs: number[] = [];
    let last = opened;
    const started = performance.now();
    for (let i = 0; i < plan.warmupEdits + plan.measuredEdits; i++) {
      const measuring = i >= plan.warmupEdits;
      if (measuring && editMs.length >= plan.minimumEdits && performance.now() - started > plan.budgetMs) break;
      version++;
      const sent = await client.insert(uri, version, script.editLine, column, TYPED[i % TYPED.length]!);
      column++;
      last = await client.publishFor(uri, version, sent, 60_000);
      if (measuring) editMs.push(last.at - sent);
    }
    return {
      openMs: opened.at - openSent,
      openDiagnostics: opened.count,
      editMs,
      lastDiagnostics: last.count,
      peakRssBytes: client.peakRss(),
      maxPublishesPerVersion: maxPerVersion(client.publishLog(uri)),
    };
  } finally {
    await client?.dispose();
    rmSync(folder, { recursive: true, force: true });
  }
}
