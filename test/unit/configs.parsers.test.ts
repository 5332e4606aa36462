/** The config readers: positions, malformed input (one parse note, never a throw), the shell tokenizer and #SBATCH parsing. */
import assert from 'node:assert/strict';
import { defaultSettings } from '../../shared/src/settings';
import { analyzeConfig } from '../../server/src/analysis/configEngine';
import { readConfigFile } from '../../server/src/configs/configFile';
import { parseJson } from '../../server/src/configs/json';
import { recognise } from '../../server/src/configs/kinds';
import { LineIndex } from '../../server/src/configs/positions';
import { tokenizeShell } from '../../server/src/configs/shell';
import { gpuAllocation, gresGpus, parseJobScript, timeLimitHours } from '../../server/src/configs/slurm';
import { entryOf, nodeAt, scalarAt } from '../../server/src/configs/tree';
import { parseYaml } from '../../server/src/configs/yaml';

const at = (text: string, offset: number) => new LineIndex(text).position(offset);

describe('config readers', () => {
  describe('YAML', () => {
    it('keeps key and value positions, nested and in several documents', () => {
      const text = 'trainer:\n  accelerator: gpu\n  precision: "32"\n---\nseed: 7\n';
      const parsed = parseYaml(text);
      assert.equal(parsed.problem, null);
      assert.equal(parsed.documents.length, 2);
      const precision = entryOf(nodeAt(parsed.documents[0]!.root, 'trainer'), 'precision')!;
      assert.deepEqual(at(text, precision.keySpan.start), { line: 2, character: 2 });
      const value = scalarAt(parsed.documents[0]!.root, 'trainer.precision')!;
      assert.equal(value.value, '32');
      assert.equal(value.style, 'double');
      assert.deepEqual([at(text, value.start), at(text, value.end)], [{ line: 2, character: 13 }, { line: 2, character: 17 }]);
      assert.equal(scalarAt(parsed.documents[1]!.root, 'seed')!.value, 7);
    });

    it('marks interpolations and aliases as dynamic, and accepts duplicate keys (last wins)', () => {
      const parsed = parseYaml('base: &b 1\na: ${oc.env:X}\nc: *b\nd: 1\nd: 2\n');
      assert.equal(parsed.problem, null);
      const root = parsed.documents[0]!.root;
      assert.equal(scalarAt(root, 'a')!.dynamic, true);
      assert.equal(scalarAt(root, 'c')!.dynamic, true);
      assert.equal(scalarAt(root, 'd')!.value, 2);
    });

    it('reports malformed YAML once, at the parser position, without throwing', () => {
      const text = 'output_dir: out\nper_device_train_batch_size: [16\nlearning_rate: 1e-4\n';
      const outcome = analyzeConfig(text, 'file:///w/args.yaml', 'yaml', defaultSettings());
      assert.equal(outcome.findings.length, 1);
      const [note] = outcome.findings;
      assert.equal(note!.ruleId, 'GA000');
      assert.equal(note!.severity, 'information');
      assert.match(note!.message, /^YAML: .*Green AI cannot check this file until it parses\.$/);
      assert.equal(note!.range.start.line, 2);
      const tabs = analyzeConfig('trainer:\n\tprecision: 32\n', 'file:///w/x.yaml', 'yaml', defaultSettings());
      assert.equal(tabs.findings.length, 1);
      assert.deepEqual(tabs.findings[0]!.range.start, { line: 1, character: 0 });
    });

    it('does not report templated YAML (Helm, Jinja) that is not YAML until rendered', () => {
      const outcome = analyzeConfig('spec:\n  replicas: {{ .Values.replicas }}\n  {{- if .Values.gpu }}\n', 'file:///w/deploy.yaml', 'yaml', defaultSettings());
      assert.deepEqual(outcome.findings, []);
    });
  });

  describe('JSON', () => {
    it('reads JSONC (comments, trailing commas) with positions', () => {
      const text = '{\n  // ZeRO-2\n  "zero_optimization": {"stage": 2,},\n  "fp16": {"enabled": false}\n}';
      const parsed = parseJson(text);
      assert.equal(parsed.problem, null);
      const enabled = scalarAt(parsed.documents[0]!.root, 'fp16.enabled')!;
      assert.equal(enabled.value, false);
      assert.deepEqual(at(text, enabled.start), { line: 3, character: 22 });
    });

    it('reports the first syntax error where it is', () => {
      const text = '{\n  "train_micro_batch_size_per_gpu": 4\n  "bf16": {}\n}\n';
      const outcome = analyzeConfig(text, 'file:///w/ds.json', 'json', defaultSettings());
      assert.equal(outcome.findings.length, 1);
      assert.equal(outcome.findings[0]!.ruleId, 'GA000');
      assert.match(outcome.findings[0]!.message, /^JSON: comma expected\./);
      assert.deepEqual(outcome.findings[0]!.range.start, { line: 2, character: 2 });
      assert.equal(analyzeConfig('', 'file:///w/empty.json', 'json', defaultSettings()).findings.length, 0);
      // Not a training config (none of the words one must contain): not parsed, so no note either.
      assert.deepEqual(analyzeConfig('{"name": "x",, }', 'file:///w/package.json', 'json', defaultSettings()).findings, []);
    });

    it('never throws on garbage, binary or huge input', () => {
      for (const text of ['\u0000\u0001\u0002', '{"a": [', '}}}}', ':::', '\ufeff{"a": 1}']) {
        assert.doesNotThrow(() => analyzeConfig(text, 'file:///w/x.json', 'json', defaultSettings()));
        assert.doesNotThrow(() => analyzeConfig(text, 'file:///w/x.yaml', 'yaml', defaultSettings()));
        assert.doesNotThrow(() => analyzeConfig(text, 'file:///w/x.sbatch', 'shell', defaultSettings()));
      }
    });
  });

  describe('recognition from content', () => {
    const kinds = (text: string) => [...(recognise(parseYaml(text).documents[0]!.root)?.kinds ?? [])].sort();
    it('tells the training config kinds apart and ignores other YAML', () => {
      assert.deepEqual(kinds('output_dir: o\nper_device_train_batch_size: 8\nlearning_rate: 1e-4\n'), ['hf-training-args']);
      assert.deepEqual(kinds('trainer:\n  accelerator: gpu\n  max_epochs: 3\ndata:\n  num_workers: 2\n'), ['datamodule', 'lightning-trainer']);
      assert.deepEqual(kinds('_target_: lightning.pytorch.trainer.Trainer\ndevices: 1\n'), ['lightning-trainer']);
      assert.deepEqual(kinds('distributed_type: MULTI_GPU\nnum_processes: 2\n'), ['accelerate']);
      assert.deepEqual(kinds('train_micro_batch_size_per_gpu: 4\nzero_optimization:\n  stage: 2\n'), ['deepspeed']);
      assert.deepEqual(kinds('name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n'), []);
      assert.deepEqual(kinds('learning_rate: 0.1\noutput_dir: x\n'), [], 'two generic keys are not enough');
      assert.deepEqual(kinds('services:\n  trainer:\n    image: x\n'), []);
    });
  });

  describe('shell tokenizer', () => {
    it('joins continuations, removes quotes and keeps expansions unresolved', () => {
      const text = 'srun torchrun \\\n  --nproc_per_node=$NGPU "train file.py" --name=\'a b\' --x="${HOME}/d" | tee log # done\nnext';
      const { commands, comments } = tokenizeShell(text);
      assert.deepEqual(commands.map((c) => c.words.map((w) => w.text)), [
        ['srun', 'torchrun', '--nproc_per_node=$NGPU', 'train file.py', '--name=a b', '--x=${HOME}/d'],
        ['tee', 'log'],
        ['next'],
      ]);
      const words = commands[0]!.words;
      assert.equal(words[2]!.dynamic, true);
      assert.equal(words[3]!.dynamic, false);
      assert.equal(text.slice(words[3]!.start, words[3]!.end), '"train file.py"');
      assert.deepEqual(at(text, words[2]!.start), { line: 1, character: 2 });
      assert.deepEqual(comments.map((c) => c.text), ['# done']);
    });

    it('skips here-document bodies and redirection targets; splits on ; && ||', () => {
      const text = 'cat > cfg <<EOF\npython train.py --cpu\nEOF\na 2>&1 >> out; b && c || d &\n';
      const { commands } = tokenizeShell(text);
      assert.deepEqual(commands.map((c) => c.words.map((w) => w.text)), [['cat'], ['a'], ['b'], ['c'], ['d']]);
    });
  });

  describe('SLURM directives', () => {
    it('reads #SBATCH options in every spelling, only before the first command', () => {
      const text = '#!/bin/bash\n#SBATCH -N 2 --ntasks-per-node=4\n#SBATCH --gres gpu:v100:4  # four per node\n#SBATCH -t 1-12:00\n  #SBATCH --gres=gpu:8\necho hi\n#SBATCH --gres=gpu:1\n';
      const job = parseJobScript(text);
      assert.deepEqual(job.directives.map((d) => [d.name, d.value]), [['nodes', '2'], ['ntasks-per-node', '4'], ['gres', 'gpu:v100:4'], ['time', '1-12:00']]);
      const allocation = gpuAllocation(job)!;
      assert.equal(allocation.perNode, 4);
      assert.equal(allocation.nodes, 2);
      assert.equal(allocation.type, 'v100');
      assert.equal(allocation.hours, 36);
      assert.equal(allocation.tasksPerNode, 4);
      const gres = job.directives[2]!;
      assert.equal(text.slice(gres.span.start, gres.span.end), '--gres gpu:v100:4');
      assert.equal(text.slice(gres.valueSpan!.start, gres.valueSpan!.end), 'gpu:v100:4');
    });

    it('parses gres lists and time limits', () => {
      assert.deepEqual(gresGpus('gpu:a100:2(S:0),mps:100'), { count: 2, type: 'a100' });
      assert.deepEqual(gresGpus('gpu'), { count: 1, type: undefined });
      assert.equal(gresGpus('mps:100'), undefined);
      assert.equal(timeLimitHours('30'), 0.5);
      assert.equal(timeLimitHours('2:00:00'), 2);
      assert.equal(timeLimitHours('1-0'), 24);
      assert.equal(timeLimitHours('3-06:30:00'), 78.5);
      assert.equal(timeLimitHours('UNLIMITED'), undefined);
    });

    it('counts processes per launcher and finds CPU flags', () => {
      const job = parseJobScript(
        '#SBATCH --gpus-per-node=8\n' +
          'srun --ntasks-per-node=1 python -u -m torch.distributed.run --nproc-per-node 8 train.py\n' +
          'accelerate launch --num_processes=16 --num_machines 2 t.py\n' +
          'deepspeed t.py\n' +
          'CUDA_VISIBLE_DEVICES= python t.py --device=cpu\n',
      );
      assert.deepEqual(job.launches.map((l) => [l.launcher, l.perNode, l.underSrun]), [['torchrun', 8, true], ['accelerate', 8, false], ['deepspeed', 'all', false], ['python', 1, false]]);
      assert.deepEqual(job.launches[3]!.cpuEvidence.map((e) => e.word.text), ['CUDA_VISIBLE_DEVICES=', '--device=cpu']);
    });
  });

  it('a 10,000-line YAML is read and analysed in one pass (timing in the report, not asserted)', () => {
    const lines = ['output_dir: out', 'per_device_train_batch_size: 8', 'learning_rate: 1.0e-4'];
    for (let i = 0; lines.length < 10_000; i++) lines.push(i % 5 === 0 ? `section_${i}:` : `  key_${i}: value ${i}`);
    const text = lines.join('\n') + '\n';
    const file = readConfigFile(text, 'yaml');
    assert.equal(file.problem, null);
    const outcome = analyzeConfig(text, 'file:///w/big.yaml', 'yaml', defaultSettings());
    assert.deepEqual(outcome.findings.map((f) => f.ruleId), ['GA101', 'GA201']);
  });
});
