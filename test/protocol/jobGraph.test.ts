/**
 * The job graph over stdio, on a copy of test/fixtures/jobs/torchrun-deepspeed (SLURM → torchrun → train.py →
 * train_args.yaml → ds_config.json): an edit of the batch script changes findings in the batch script and in the
 * DeepSpeed config it runs, a config changed on disk (client file event) changes the batch script's findings, and the
 * batch script gets the job's code lens.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeLens, Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { LspSession } from './lspSession';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'jobs', 'torchrun-deepspeed');
const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.range.start.line + 1}:${String(d.code)}`).sort();

describe('job graph over stdio', function () {
  let dir: string;
  let session: LspSession;
  const uriOf = (name: string) => pathToFileURL(path.join(dir, name)).href;
  const textOf = (name: string) => readFileSync(path.join(dir, name), 'utf8');

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'green-ai-jobs-'));
    cpSync(FIXTURE, dir, { recursive: true });
    session = new LspSession({ settings: () => ({}), workspaceFolder: dir });
    await session.initialize();
  });
  afterEach(async () => {
    await session.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const published = (uri: string, since: number, predicate: (p: PublishDiagnosticsParams) => boolean) => session.diagnosticsAfter(uri, since, predicate);

  it('an edit of --nproc_per_node in the batch script updates GA701 there and GA704 in the DeepSpeed config', async () => {
    const slurm = uriOf('train.sbatch');
    const ds = uriOf('ds_config.json');
    const script = textOf('train.sbatch');
    await session.open(uriOf('train.py'), textOf('train.py'), 1, 'python');
    await session.open(slurm, script, 1, 'slurm');
    await session.open(ds, textOf('ds_config.json'), 1, 'json');
    assert.deepEqual(codes(await session.diagnosticsFor(slurm)), []);
    assert.deepEqual(codes(await session.diagnosticsFor(ds)), []);

    const dsBefore = session.publishedCount(ds);
    await session.change(slurm, 2, [{ text: script.replace('--nproc_per_node=4', '--nproc_per_node=1') }]);
    const onSlurm = await session.diagnosticsFor(slurm, (p) => p.version === 2);
    assert.deepEqual(codes(onSlurm), ['6:GA701']);
    assert.match(String(onSlurm[0]!.message), /torchrun starts 1 process per node: 3 GPUs stay idle/);
    const onDs = await published(ds, dsBefore, (p) => p.diagnostics.length > 0);
    assert.deepEqual(codes(onDs), ['8:GA704']);
    const related = onDs[0]!.relatedInformation ?? [];
    assert.equal(related[0]?.location.uri, slurm, 'related information points at the batch script');
    assert.equal(related[0]?.location.range.start.line, 15, 'at the launch line');

    const dsAfter = session.publishedCount(ds);
    await session.change(slurm, 3, [{ text: script }]);
    assert.deepEqual(codes(await session.diagnosticsFor(slurm, (p) => p.version === 3)), []);
    assert.deepEqual(codes(await published(ds, dsAfter, () => true)), [], 'GA704 disappears with the edit undone');
  });

  it('SLURM → accelerate launch → Accelerate YAML → DeepSpeed JSON: editing num_processes in the Accelerate config updates GA701 on the batch script', async () => {
    const job = mkdtempSync(path.join(os.tmpdir(), 'green-ai-jobs-accelerate-'));
    cpSync(path.join(FIXTURE, '..', 'accelerate-deepspeed'), job, { recursive: true });
    const other = new LspSession({ settings: () => ({}), workspaceFolder: job });
    await other.initialize();
    try {
      const uri = (name: string) => pathToFileURL(path.join(job, name)).href;
      const text = (name: string) => readFileSync(path.join(job, name), 'utf8');
      const slurm = uri('finetune.sbatch');
      const accelerate = uri('configs/accelerate.yaml');
      const ds = uri('configs/zero2_offload.json');
      await other.open(slurm, text('finetune.sbatch'), 1, 'slurm');
      await other.open(accelerate, text('configs/accelerate.yaml'), 1, 'yaml');
      await other.open(ds, text('configs/zero2_offload.json'), 1, 'json');
      const before = await other.diagnosticsFor(slurm);
      assert.deepEqual(codes(before), ['4:GA701']);
      assert.ok(before[0]!.relatedInformation?.some((r) => r.location.uri === accelerate), 'related information points at num_processes in the Accelerate config');
      assert.deepEqual(codes(await other.diagnosticsFor(ds)), ['8:GA704'], 'the DeepSpeed config named by the Accelerate config is analysed as part of the job');

      const published = other.publishedCount(slurm);
      await other.change(accelerate, 2, [{ text: text('configs/accelerate.yaml').replace('num_processes: 2', 'num_processes: 8') }]);
      assert.deepEqual(codes(await other.diagnosticsAfter(slurm, published, () => true)), [], 'all 8 GPUs used: GA701 goes');
    } finally {
      await other.dispose();
      rmSync(job, { recursive: true, force: true });
    }
  });

  it('a config changed on disk (file event) updates the open batch script; the script has the job lens', async () => {
    const slurm = uriOf('train.sbatch');
    await session.open(slurm, textOf('train.sbatch'), 1, 'slurm');
    assert.deepEqual(codes(await session.diagnosticsFor(slurm)), []);
    const lenses = (await session.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: slurm } })) as CodeLens[];
    assert.equal(lenses.length, 1);
    assert.equal(lenses[0]!.range.start.line, 5, 'on the --gres line');
    assert.match(lenses[0]!.command!.title, /^this job: ≤ 4× A100\S* for 24 h ≈ [\d.,]+ (k|M)?Wh · [\d.,]+ k?g CO2e/);

    const before = session.publishedCount(slurm);
    writeFileSync(path.join(dir, 'train_args.yaml'), textOf('train_args.yaml').replace('dataloader_num_workers: 6', 'dataloader_num_workers: 12'));
    await session.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf('train_args.yaml'), type: 2 }] });
    const after = await published(slurm, before, (p) => p.diagnostics.length > 0);
    assert.deepEqual(codes(after), ['7:GA703']);
    assert.match(String(after[0]!.message), /4 × \(12 \+ 1\) = 52 busy threads share 32 CPUs/);
    assert.equal(after[0]!.relatedInformation?.[0]?.location.uri, uriOf('train_args.yaml'));
  });
});
