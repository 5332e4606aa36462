/**
 * The cost of estimates: computing one in-process (with and without the estimate pass of the analysis), and
 * how long after an edit that changes the run the server asks the editor to refresh its code lenses and
 * serves the new lens. Measured on examples/finetune_bert_trainer.py.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeLens } from 'vscode-languageserver-protocol';
import { analyzePython } from '../server/src/analysis/engine';
import { createPythonParser } from '../server/src/documents/pythonParser';
import { defaultSettings } from '../shared/src/settings';
import { LspClient, type ServerSpec } from './lspClient';
import { percentile } from './format';

export const ESTIMATE_SCRIPT = path.join(__dirname, '..', 'examples', 'finetune_bert_trainer.py');

export interface EstimateCost {
  /** First analysis with an estimate in a fresh process: tables parsed and validated. */
  firstMs: number;
  /** Warm analysis time with and without the estimate pass, p50. */
  withMs: number;
  withoutMs: number;
}

export async function measureEstimateCost(runs = 200): Promise<EstimateCost> {
  const text = readFileSync(ESTIMATE_SCRIPT, 'utf8');
  const parser = await createPythonParser();
  const tree = parser.parse(text)!;
  const settings = defaultSettings();
  try {
    const first = performance.now();
    analyzePython(tree, text, 'bench.py', settings);
    const firstMs = performance.now() - first;
    const timed = (estimates: boolean) => {
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        analyzePython(tree, text, 'bench.py', settings, undefined, { estimates });
        samples.push(performance.now() - start);
      }
      return percentile(samples, 50);
    };
    return { firstMs, withMs: timed(true), withoutMs: timed(false) };
  } finally {
    tree.delete();
  }
}

export interface LensRefresh {
  /** didChange → workspace/codeLens/refresh, p50 / p95. */
  refreshMs: number[];
  /** didChange → a codeLens response whose title shows the new estimate, p50 / p95. */
  lensMs: number[];
  edits: number;
}

/** Alternates num_train_epochs between 3 and 4: every edit changes the run, so every lens must change. */
export async function measureLensRefresh(spec: ServerSpec, scratch: string, edits = 30): Promise<LensRefresh> {
  const text = readFileSync(ESTIMATE_SCRIPT, 'utf8');
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes('num_train_epochs=3'));
  if (line < 0) throw new Error(`${ESTIMATE_SCRIPT} has no num_train_epochs=3 line`);
  const character = lines[line]!.indexOf('num_train_epochs=3') + 'num_train_epochs='.length;
  const uri = pathToFileURL(path.join(scratch, 'finetune_bert_trainer.py')).href;
  const client = new LspClient(spec, scratch);
  const refresh: number[] = [];
  const lens: number[] = [];
  try {
    await client.initialize(scratch, 30_000);
    let version = 1;
    const opened = await client.open(uri, text, version);
    await client.publishFor(uri, version, opened, 30_000);
    let title = await lensTitle(client, uri);
    for (let i = 0; i < edits; i++) {
      const digit = i % 2 === 0 ? '4' : '3';
      const sent = await client.replace(uri, ++version, { start: { line, character }, end: { line, character: character + 1 } }, digit);
      const refreshed = await client.codeLensRefreshAfter(sent, 10_000);
      const next = await lensTitle(client, uri);
      const done = performance.now();
      if (next === title) throw new Error(`the code lens did not change after setting num_train_epochs=${digit}: ${next}`);
      title = next;
      refresh.push(refreshed - sent);
      lens.push(done - sent);
    }
    return { refreshMs: [percentile(refresh, 50), percentile(refresh, 95)], lensMs: [percentile(lens, 50), percentile(lens, 95)], edits };
  } finally {
    await client.dispose();
  }
}

async function lensTitle(client: LspClient, uri: string): Promise<string> {
  const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } }, 10_000);
  const title = lenses.find((l) => l.command?.title.includes('kWh') || l.command?.title.includes('Wh'))?.command?.title;
  if (!title) throw new Error(`no estimate lens: ${JSON.stringify(lenses.map((l) => l.command?.title))}`);
  return title;
}
