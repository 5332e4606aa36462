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
import type { CodeAction, CodeLens, Diagnostic, PublishDiagnosticsParams, TextEdit } from 'vscode-languageserver-protocol';
import { applyEdits } from '../unit/analyze';
import { LspSession } from './lspSession';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'jobs', 'torchrun-deepspeed');
const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.range.start.line + 1}:${String(d.code)}`).sort();

/** Runs `body` against a fresh server on a temporary copy of the job folder test/fixtures/jobs/<name>. */
async function withJob(
  name: string,
  body: (session: LspSession, uri: (file: string) => string, text: (file: string) => string, dir: string) => Promise<void>,
): Promise<void> {
  const job = mkdtempSync(path.join(os.tmpdir(), `green-ai-jobs-${name}-`));
  cpSync(path.join(FIXTURE, '..', name), job, { recursive: true });
  const session = new LspSession({ settings: () => ({}), workspaceFolder: job });
  await session.initialize();
  try {
    await body(session, (file) => pathToFileURL(path.join(job, file)).href, (file) => readFileSync(path.join(job, file), 'utf8'), job);
  } finally {
    await session.dispose();
    rmSync(job, { recursive: true, force: true });
  }
}

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
    await withJob('accelerate-deepspeed', async (other, uri, text) => {
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
    });
  });

  it('a cross-file quick fix: GA701 on the batch script offers num_processes in the (closed) Accelerate config; applying it clears GA701', async () => {
    await withJob('accelerate-deepspeed', async (other, uri, text, job) => {
      const slurm = uri('finetune.sbatch');
      const accelerate = uri('configs/accelerate.yaml');
      await other.open(slurm, text('finetune.sbatch'), 1, 'slurm');
      const diagnostics = await other.diagnosticsFor(slurm);
      assert.deepEqual(codes(diagnostics), ['4:GA701']);
      const actions = (await other.connection.sendRequest('textDocument/codeAction', {
        textDocument: { uri: slurm },
        range: diagnostics[0]!.range,
        context: { diagnostics, only: ['quickfix'] },
      })) as CodeAction[];
      assert.deepEqual(actions.map((a) => a.title).slice(0, 2), ['Set num_processes: 8 in accelerate.yaml', 'Request 2 GPUs per node instead']);
      const changes = actions[0]!.edit!.changes!;
      assert.deepEqual(Object.keys(changes), [accelerate], 'the edit is on the config, not the batch script');
      assert.deepEqual(changes[slurm] ?? [], []);
      assert.deepEqual(actions[1]!.edit!.changes![slurm]!.map((e) => e.newText), ['2']);

      const fixed = applyEdits(text('configs/accelerate.yaml'), changes[accelerate]! as TextEdit[]);
      assert.match(fixed, /^num_processes: 8$/m);
      const published = other.publishedCount(slurm);
      writeFileSync(path.join(job, 'configs', 'accelerate.yaml'), fixed);
      await other.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: accelerate, type: 2 }] });
      assert.deepEqual(codes(await other.diagnosticsAfter(slurm, published, () => true)), [], 'GA701 disappears once the config starts 8 processes');

      // A config that no longer reads as the fix expects (edited since) gets no stale cross-file edit.
      writeFileSync(path.join(job, 'configs', 'accelerate.yaml'), text('configs/accelerate.yaml').replace('num_processes: 8', 'num_processes: 4'));
      const again = other.publishedCount(slurm);
      await other.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: accelerate, type: 2 }] });
      const stale = await other.diagnosticsAfter(slurm, again, () => true);
      assert.deepEqual(codes(stale), ['4:GA701']);
      writeFileSync(path.join(job, 'configs', 'accelerate.yaml'), text('configs/accelerate.yaml').replace('num_processes: 4', 'num_processes:  4'));
      const offered = (await other.connection.sendRequest('textDocument/codeAction', { textDocument: { uri: slurm }, range: stale[0]!.range, context: { diagnostics: stale, only: ['quickfix'] } })) as CodeAction[];
      assert.ok(!offered.some((a) => a.title.startsWith('Set num_processes')), 'not offered on a config whose text moved');
    });
  });

  it('the entry script’s estimate lens takes its GPUs from the batch script, labelled as such', async () => {
    const script = uriOf('train.py');
    await session.open(script, textOf('train.py'), 1, 'python');
    await session.diagnosticsFor(script);
    const lenses = (await session.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: script } })) as CodeLens[];
    assert.equal(lenses.length, 1);
    // the script does not give its run's size: the job's 4 GPUs over its --time limit bound it
    assert.match(lenses[0]!.command!.title, /^this job: ≤ 4× A100-SXM4-80GB for 24 h ≈ /);
    const payload = lenses[0]!.command!.arguments![0] as { status: string; estimate?: { assumptions: { name: string; source: { title: string } }[] }; assumptions?: { name: string; source: { title: string } }[] };
    const assumptions = payload.estimate?.assumptions ?? payload.assumptions ?? [];
    assert.equal(assumptions.find((a) => a.name === 'Accelerators')?.source.title, 'Batch job: 4 A100 GPUs from train.sbatch --gres=gpu:a100:4');
    assert.ok(!assumptions.some((a) => a.source.title.startsWith('Setting greenAI.hardware')), 'no hardware setting is named');
  });

  it('Hydra defaults: GA101 on the selected trainer option; selecting another option in config.yaml clears it', async () => {
    await withJob('hydra-defaults', async (other, uri, text) => {
      const gpu = uri('conf/trainer/gpu.yaml');
      const config = uri('conf/config.yaml');
      await other.open(gpu, text('conf/trainer/gpu.yaml'), 1, 'yaml');
      await other.open(config, text('conf/config.yaml'), 1, 'yaml');
      const onGpu = await other.diagnosticsFor(gpu);
      assert.deepEqual(codes(onGpu), ['4:GA101']);
      assert.equal(onGpu[0]!.relatedInformation?.[0]?.location.uri, config, 'related to the defaults entry that selects gpu.yaml');
      assert.deepEqual(codes(await other.diagnosticsFor(config)), ['2:GA601']);

      const published = other.publishedCount(gpu);
      await other.change(config, 2, [{ text: text('conf/config.yaml').replace('trainer: gpu', 'trainer: short') }]);
      assert.deepEqual(codes(await other.diagnosticsAfter(gpu, published, (p) => p.diagnostics.length === 0)), [], 'gpu.yaml is no longer part of the run');
      assert.deepEqual(codes(await other.diagnosticsFor(config, (p) => p.version === 2)), [], 'short.yaml bounds the run (max_epochs: 10)');
    });
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
