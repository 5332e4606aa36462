/** Hydra composition (server/src/jobs/hydra.ts) and the config rules judging the composed value where it is set. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeConfig } from '../../../server/src/analysis/configEngine';
import { configFormatOf } from '../../../server/src/configs/configFile';
import { LineIndex } from '../../../server/src/configs/positions';
import { tokenizeShell } from '../../../server/src/configs/shell';
import { graphOf, schedulerCandidates } from '../../../server/src/jobs/discover';
import { fileUri, type JobGraph } from '../../../server/src/jobs/graph';
import { composeHydra } from '../../../server/src/jobs/hydra';
import { diskReader, overlayReader } from '../../../server/src/jobs/reader';

const JOBS = path.join(__dirname, '..', '..', 'fixtures', 'jobs');

function graphFor(name: string, open: Record<string, string> = {}): { dir: string; graph: JobGraph } {
  const dir = path.join(JOBS, name);
  const reader = overlayReader((file) => open[path.relative(dir, file)]);
  return { dir, graph: graphOf(schedulerCandidates(dir), reader, [dir]) };
}

function findingsOf(graph: JobGraph, file: string, text?: string) {
  const content = text ?? diskReader.read(file)!;
  return analyzeConfig(content, fileUri(file), configFormatOf(undefined, file)!, defaultSettings(), undefined, graph.viewOf(file)).findings;
}

const at = (findings: { ruleId: string; range: { start: { line: number } } }[]) => findings.map((f) => `${f.range.start.line + 1} ${f.ruleId}`);

/** composeHydra over in-memory files under /cfg, with the launch words after the entry script. */
function compose(files: Record<string, string>, launch = '') {
  const script = `python train.py ${launch}`;
  const words = tokenizeShell(script).commands[0]!.words.slice(2);
  return composeHydra('/cfg/config.yaml', files['config.yaml']!, words, { path: '/job.sbatch', text: script, lines: new LineIndex(script) }, (file) => files[path.relative('/cfg', file)]);
}

describe('Hydra composition', () => {
  it('merges the selected defaults in order, _self_ where it is written, and leaves unselected options out', () => {
    const { dir, graph } = graphFor('hydra-defaults');
    const launch = graph.job(path.join(dir, 'train.sbatch'))!.launches[0]!;
    const composition = launch.hydra!;
    assert.ok(composition.complete, composition.gaps.join('; '));
    assert.deepEqual(composition.files.map((f) => [path.relative(dir, f.path), f.package]), [['conf/trainer/gpu.yaml', 'trainer'], ['conf/data/imagenet.yaml', 'data'], ['conf/config.yaml', '']]);
    const precision = composition.values.get('trainer.precision')?.node;
    assert.equal(precision?.type === 'scalar' && precision.value, 32);
    assert.equal(composition.values.get('trainer.max_epochs'), undefined, 'short.yaml is not selected: its max_epochs does not count');
    assert.ok(graph.viewOf(path.join(dir, 'conf', 'trainer', 'gpu.yaml')).uses.length === 1, 'a selected group file belongs to the job');
    assert.equal(graph.viewOf(path.join(dir, 'conf', 'trainer', 'short.yaml')).uses.length, 0, 'an unselected one does not');
    assert.equal(launch.processesPerNode, 4, 'the Lightning Trainer starts trainer.devices processes');
  });

  it('reports each composed value in the file that sets it, with the defaults entry as related information', () => {
    const { dir, graph } = graphFor('hydra-defaults');
    const gpu = findingsOf(graph, path.join(dir, 'conf', 'trainer', 'gpu.yaml'));
    assert.deepEqual(at(gpu), ['4 GA101']);
    assert.equal(gpu[0]!.related[0]!.uri, fileUri(path.join(dir, 'conf', 'config.yaml')));
    assert.equal(gpu[0]!.related[0]!.range.start.line, 1, 'the `trainer: gpu` defaults entry');
    assert.deepEqual(gpu[0]!.fixes[0]!.edits.map((e) => e.newText), ['bf16-mixed']);
    assert.deepEqual(at(findingsOf(graph, path.join(dir, 'conf', 'config.yaml'))), ['2 GA601']);
    assert.deepEqual(at(findingsOf(graph, path.join(dir, 'conf', 'data', 'imagenet.yaml'))), ['4 GA201']);
    assert.deepEqual(at(findingsOf(graph, path.join(dir, 'train.sbatch'))), []);
  });

  it('a group selected on the launch line replaces the default option (trainer=short): gpu.yaml no longer counts', () => {
    const { dir, graph } = graphFor('hydra-group-override');
    const composition = graph.job(path.join(dir, 'train.sbatch'))!.launches[0]!.hydra!;
    assert.deepEqual(composition.files.map((f) => path.relative(dir, f.path)), ['conf/trainer/short.yaml', 'conf/data/imagenet.yaml', 'conf/config.yaml']);
    for (const file of ['conf/config.yaml', 'conf/trainer/gpu.yaml', 'conf/trainer/short.yaml', 'conf/data/imagenet.yaml', 'train.sbatch']) {
      assert.deepEqual(at(findingsOf(graph, path.join(dir, file))), [], file);
    }
  });

  it('launch-line overrides (+group, key=value, ~key) and a # @package _global_ experiment', () => {
    const { dir, graph } = graphFor('hydra-experiment');
    const sbatch = path.join(dir, 'run.sbatch');
    const composition = graph.job(sbatch)!.launches[0]!.hydra!;
    assert.equal(composition.values.get('trainer.max_time'), undefined, '~trainer.max_time deletes it');
    assert.equal(path.basename(composition.values.get('trainer.max_epochs')!.file.path), 'fast.yaml', 'the _global_ experiment sets trainer.max_epochs');
    const onScheduler = findingsOf(graph, sbatch);
    assert.deepEqual(at(onScheduler), ['7 GA101']);
    const edit = onScheduler[0]!.fixes[0]!.edits[0]!;
    const lines = new LineIndex(diskReader.read(sbatch)!);
    assert.equal(lines.lineText(6).slice(edit.range.start.character, edit.range.end.character), '32', 'the fix rewrites the override value');
    assert.deepEqual(at(findingsOf(graph, path.join(dir, 'configs', 'trainer', 'default.yaml'))), [], 'max_epochs: -1 and 16-mixed are overridden');
    assert.deepEqual(at(findingsOf(graph, path.join(dir, 'configs', 'experiment', 'fast.yaml'))), ['6 GA201', '7 GA202']);
    assert.deepEqual(at(findingsOf(graph, path.join(dir, 'configs', 'data', 'coco.yaml'))), [], 'pin_memory: true there is overridden: nothing to report in coco.yaml');
    assert.deepEqual(at(findingsOf(graph, path.join(dir, 'configs', 'data', 'coco.yaml'))), []);
    assert.deepEqual(at(findingsOf(graph, path.join(dir, 'configs', 'train.yaml'))), []);
  });

  it('an interpolated option or a missing group file makes the composition incomplete: absent values prove nothing', () => {
    const original = diskReader.read(path.join(JOBS, 'hydra-defaults', 'conf', 'config.yaml'))!;
    for (const edited of [original.replace('trainer: gpu', 'trainer: ${oc.env:TRAINER}'), original.replace('trainer: gpu', 'trainer: a100')]) {
      const { dir, graph } = graphFor('hydra-defaults', { 'conf/config.yaml': edited });
      const composition = graph.job(path.join(dir, 'train.sbatch'))!.launches[0]!.hydra!;
      assert.equal(composition.complete, false);
      assert.deepEqual(at(findingsOf(graph, path.join(dir, 'conf', 'config.yaml'), edited)), [], edited);
    }
  });

  it('creating a missing group option rebuilds the job', () => {
    const { dir, graph } = graphFor('hydra-defaults');
    const missing = path.join(dir, 'conf', 'trainer', 'a100.yaml');
    const edited = diskReader.read(path.join(dir, 'conf', 'config.yaml'))!.replace('trainer: gpu', 'trainer: a100');
    const rebuilt = graphFor('hydra-defaults', { 'conf/config.yaml': edited }).graph;
    assert.ok(rebuilt.job(path.join(dir, 'train.sbatch'))!.missing.has(missing));
    assert.ok(rebuilt.fileChanged(missing).has(path.join(dir, 'train.sbatch')));
    assert.ok(graph.job(path.join(dir, 'train.sbatch')));
  });

  it('packages: # @package headers, group@pkg, nested defaults of a group file, override entries', () => {
    const composition = compose({
      'config.yaml': 'defaults:\n  - model: resnet\n  - optim@trainer.optimizer: adam\n  - env: local\n  - override model: vit\n  - _self_\nseed: 1\n',
      'model/resnet.yaml': 'depth: 50\n',
      'model/vit.yaml': 'defaults:\n  - base\n  - /extras: none\npatch: 16\n',
      'model/base.yaml': 'width: 768\n',
      'extras/none.yaml': '# @package _global_\nextras_enabled: false\n',
      'optim/adam.yaml': '# @package _global_\nlr: 0.001\n',
      'env/local.yaml': '# @package cluster\nnodes: 1\n',
    });
    assert.ok(composition.complete, composition.gaps.join('; '));
    const keys = [...composition.values.keys()].sort();
    assert.deepEqual(keys, ['cluster.nodes', 'extras_enabled', 'model.patch', 'model.width', 'seed', 'trainer.optimizer.lr']);
  });

  it('command-line values: +key adds, ++key sets, ~key deletes, a dynamic value stays unknown', () => {
    const composition = compose({ 'config.yaml': 'trainer:\n  max_epochs: 10\n  precision: 32\n' }, '~trainer.max_epochs ++trainer.precision=bf16-mixed +trainer.max_time=$LIMIT');
    assert.equal(composition.values.get('trainer.max_epochs'), undefined);
    const precision = composition.values.get('trainer.precision')!;
    assert.equal(precision.node?.type === 'scalar' && precision.node.value, 'bf16-mixed');
    assert.equal(precision.file.path, '/job.sbatch');
    const maxTime = composition.values.get('trainer.max_time')!;
    assert.equal(maxTime.node?.type === 'scalar' && maxTime.node.dynamic, true);
  });
});
