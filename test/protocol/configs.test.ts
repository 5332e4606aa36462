/** Training configs and job scripts over stdio: diagnostics on open, quick fixes that edit the config, parse notes. */
import assert from 'node:assert/strict';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-protocol';
import { applyEdits } from '../unit/analyze';
import { LspSession } from './lspSession';

const LIGHTNING = `trainer:
  accelerator: gpu
  devices: 4
  max_epochs: 20
data:
  class_path: data.CIFAR10DataModule
  init_args:
    batch_size: 128
    num_workers: 8
`;

const JOB = `#!/bin/bash
#SBATCH --job-name=resnet
#SBATCH --gres=gpu:4
#SBATCH --time=12:00:00

srun torchrun --standalone --nproc_per_node=2 train.py --epochs 90
`;

const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.range.start.line}:${String(d.code)}`).sort();

describe('configs and job scripts over stdio', function () {
  let session: LspSession;

  beforeEach(async () => {
    session = new LspSession({ settings: () => ({}) });
    await session.initialize();
  });
  afterEach(async () => session.dispose());

  async function actionsFor(uri: string, diagnostic: Diagnostic): Promise<CodeAction[]> {
    return (await session.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], only: ['quickfix'] },
    })) as CodeAction[];
  }

  it('flags a Lightning YAML trainer on the GPU in 32-bit and fixes it with precision: bf16-mixed', async () => {
    const uri = 'file:///tmp/green-ai-protocol/configs/fit.yaml';
    await session.open(uri, LIGHTNING, 1, 'yaml');
    const diagnostics = await session.diagnosticsFor(uri);
    assert.deepEqual(codes(diagnostics), ['1:GA101']);
    const amp = diagnostics[0]!;
    assert.equal(amp.source, 'Green AI');
    assert.match(messageOf(amp), /Lightning trainer runs on the GPU in 32-bit/);
    assert.match(amp.codeDescription!.href, /\/docs\/rules\/GA101\.md$/);
    const actions = await actionsFor(uri, amp);
    assert.deepEqual(actions.map((a) => a.title), ['Add precision: bf16-mixed', 'Suppress GA101 on this line', 'Disable GA101 (amp-missing) in settings']);
    const fixed = applyEdits(LIGHTNING, actions[0]!.edit!.changes![uri]! as TextEdit[]);
    assert.equal(fixed.split('\n').slice(0, 3).join('\n'), 'trainer:\n  accelerator: gpu\n  precision: bf16-mixed');
    await session.change(uri, 2, [{ text: fixed }]);
    assert.deepEqual(await session.diagnosticsFor(uri, (p) => p.version === 2), []);
    const suppressed = applyEdits(LIGHTNING, actions[1]!.edit!.changes![uri]! as TextEdit[]);
    assert.match(suppressed.split('\n')[1]!, /^  accelerator: gpu  # green-ai: ignore\[GA101\]$/);
    await session.change(uri, 3, [{ text: suppressed }]);
    assert.deepEqual(await session.diagnosticsFor(uri, (p) => p.version === 3), []);
  });

  it('flags idle GPUs in a SLURM script on the #SBATCH line, with the launch as related information and the cost', async () => {
    const uri = 'file:///tmp/green-ai-protocol/jobs/train.sbatch';
    await session.open(uri, JOB, 1, 'slurm');
    const diagnostics = await session.diagnosticsFor(uri);
    assert.deepEqual(codes(diagnostics), ['2:GA701']);
    const idle = diagnostics[0]!;
    assert.deepEqual(idle.range, { start: { line: 2, character: 8 }, end: { line: 2, character: 20 } });
    assert.match(messageOf(idle), /allocates 4 GPUs \(--gres=gpu:4\) but torchrun starts 2 processes per node: 2 GPUs stay idle/);
    assert.match(messageOf(idle), /24 GPU-hours held idle over the 12 h --time limit, ≈ [\d.]+ kWh · [\d.]+ k?g CO2e/);
    assert.equal(idle.relatedInformation?.[0]?.location.range.start.line, 5);
    assert.equal(idle.relatedInformation?.[0]?.location.uri, uri);
    const actions = await actionsFor(uri, idle);
    assert.deepEqual(actions.slice(0, 2).map((a) => a.title), ['Start 4 processes per node', 'Request 2 GPUs per node instead']);
    const fixed = applyEdits(JOB, actions[0]!.edit!.changes![uri]! as TextEdit[]);
    assert.match(fixed, /--nproc_per_node=4 train\.py/);
    await session.change(uri, 2, [{ text: fixed }]);
    assert.deepEqual(await session.diagnosticsFor(uri, (p) => p.version === 2), []);
  });

  it('analyses the same script opened as a shell script, and leaves unrecognised YAML and JSON alone', async () => {
    const sh = 'file:///tmp/green-ai-protocol/jobs/train.sh';
    await session.open(sh, JOB.replace('gpu:4', 'gpu:1').replace('nproc_per_node=2', 'nproc_per_node=1').replace('train.py', 'train.py --use_cpu'), 1, 'shellscript');
    assert.deepEqual(codes(await session.diagnosticsFor(sh)), ['2:GA702']);
    const compose = 'file:///tmp/green-ai-protocol/docker-compose.yml';
    await session.open(compose, 'services:\n  trainer:\n    image: pytorch\n', 1, 'yaml');
    assert.deepEqual(await session.diagnosticsFor(compose), []);
    const pkg = 'file:///tmp/green-ai-protocol/package.json';
    await session.open(pkg, '{"name": "x", "version": "1.0.0"}', 1, 'json');
    assert.deepEqual(await session.diagnosticsFor(pkg), []);
  });

  it('gives a malformed JSON config one parse note at the error, offers no comment in JSON, and recovers after the edit', async () => {
    const uri = 'file:///tmp/green-ai-protocol/ds_config.json';
    const broken = '{\n  "train_micro_batch_size_per_gpu": 8,\n  "zero_optimization": {"stage": 2}\n  "fp16": {"enabled": false}\n}\n';
    await session.open(uri, broken, 1, 'json');
    const [note, ...rest] = await session.diagnosticsFor(uri);
    assert.equal(rest.length, 0);
    assert.equal(note!.code, 'GA000');
    assert.match(messageOf(note!), /^JSON: comma expected/);
    assert.deepEqual(note!.range.start, { line: 3, character: 2 });
    const fixed = broken.replace('{"stage": 2}\n', '{"stage": 2},\n');
    await session.change(uri, 2, [{ text: fixed }]);
    const after = await session.diagnosticsFor(uri, (p) => p.version === 2);
    assert.deepEqual(codes(after), ['3:GA101']);
    const actions = await actionsFor(uri, after[0]!);
    assert.deepEqual(actions.map((a) => a.title), ['Add "bf16": {"enabled": true}', 'Disable GA101 (amp-missing) in settings']);
  });
});
