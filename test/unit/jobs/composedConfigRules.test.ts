/**
 * GA303, GA603, GA604 and GA605 on a Hydra job's composed config: the finding is where the effective value is set (a
 * selected group file or the launch line), its figures are the composed ones, and its quick fix edits that place.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeConfig } from '../../../server/src/analysis/configEngine';
import { configFormatOf } from '../../../server/src/configs/configFile';
import { graphOf, schedulerCandidates } from '../../../server/src/jobs/discover';
import { fileUri, type JobGraph } from '../../../server/src/jobs/graph';
import { diskReader, overlayReader } from '../../../server/src/jobs/reader';
import { applyEdits } from '../analyze';

type Finding = ReturnType<typeof analyzeConfig>['findings'][number];


const JOBS = path.join(__dirname, '..', '..', 'fixtures', 'jobs');

function jobOf(name: string, open: Record<string, string> = {}): { dir: string; graph: JobGraph } {
  const dir = path.join(JOBS, name);
  const reader = overlayReader((file) => open[path.relative(dir, file)]);
  return { dir, graph: graphOf(schedulerCandidates(dir), reader, [dir]) };
}

/** Findings of one rule in one file of the job (relative path), analysed with the job graph as the server does. */
function findings(job: { dir: string; graph: JobGraph }, file: string, ruleId: string, open: Record<string, string> = {}): Finding[] {
  const full = path.join(job.dir, file);
  const text = open[file] ?? diskReader.read(full)!;
  return analyzeConfig(text, fileUri(full), configFormatOf(undefined, full)!, defaultSettings(), undefined, job.graph.viewOf(full)).findings.filter((f) => f.ruleId === ruleId);
}

/** Line (1-based) and text of a range in a fixture file. */
function at(job: { dir: string }, file: string, range: Finding['range']): { line: number; text: string } {
  const line = diskReader.read(path.join(job.dir, file))!.split('\n')[range.start.line]!;
  return { line: range.start.line + 1, text: line.slice(range.start.character, range.start.line === range.end.line ? range.end.character : undefined) };
}

function lineOf(job: { dir: string }, file: string, needle: string): number {
  const index = diskReader.read(path.join(job.dir, file))!.split('\n').findIndex((l) => l.includes(needle));
  assert.notEqual(index, -1, `${needle} in ${file}`);
  return index + 1;
}

describe('GA303 on a Hydra job: the trainer switches the run gets', () => {
  const job = jobOf('hydra-debug-apis');

  it('reports detect_anomaly in the selected trainer option, with the defaults entry as related information', () => {
    const found = findings(job, 'conf/trainer/gpu.yaml', 'GA303');
    assert.equal(found.length, 1);
    const finding = found[0]!;
    assert.deepEqual(at(job, 'conf/trainer/gpu.yaml', finding.range), { line: lineOf(job, 'conf/trainer/gpu.yaml', 'detect_anomaly'), text: 'detect_anomaly: true' });
    assert.match(finding.message, /^detect_anomaly: true runs autograd anomaly detection .* in the config Hydra composes for the job/);
    assert.deepEqual(finding.related.map((r) => [r.uri, r.range.start.line + 1, r.message]), [
      [fileUri(path.join(job.dir, 'conf/train.yaml')), lineOf(job, 'conf/train.yaml', 'trainer: gpu'), 'selected for the run by `trainer: gpu` here'],
    ]);
    assert.deepEqual(finding.fixes.map((f) => [f.title, f.preferred]), [['Set detect_anomaly: false', false]]);
    const fixed = applyEdits(diskReader.read(path.join(job.dir, 'conf/trainer/gpu.yaml'))!, finding.fixes[0]!.edits);
    assert.match(fixed, /^detect_anomaly: false {2}# expect: GA303$/m);
    assert.deepEqual(findings(job, 'conf/trainer/gpu.yaml', 'GA303', { 'conf/trainer/gpu.yaml': fixed }), []);
  });

  it('reports the launch line\'s trainer.profiler=simple on the batch script, without a fix (as in a single file)', () => {
    const found = findings(job, 'train.sbatch', 'GA303');
    assert.equal(found.length, 1);
    assert.deepEqual(at(job, 'train.sbatch', found[0]!.range), { line: lineOf(job, 'train.sbatch', 'python train.py'), text: 'trainer.profiler=simple' });
    assert.match(found[0]!.message, /^profiler: simple profiles the whole run in the config Hydra composes/);
    assert.deepEqual(found[0]!.fixes, []);
  });

  it('look-alikes: the unselected ddp option (profiler, detect_anomaly) and the shared default option stay silent', () => {
    assert.deepEqual(findings(job, 'conf/trainer/ddp.yaml', 'GA303'), []);
    assert.deepEqual(findings(job, 'conf/trainer/default.yaml', 'GA303'), []);
    assert.deepEqual(findings(job, 'conf/train.yaml', 'GA303'), []);
  });

  it('look-alike: a value overridden back on the launch line (trainer.detect_anomaly=false) is not reported in the file', () => {
    const sane = jobOf('hydra-overridden-sane');
    assert.deepEqual(findings(sane, 'configs/trainer/default.yaml', 'GA303'), []);
    assert.deepEqual(findings(sane, 'train.sbatch', 'GA303'), []);
  });

  it('look-alike: a job that selects a debug profile (+debug=profiler) is a debug run, even for a launch-line switch', () => {
    const debug = jobOf('hydra-debug-profile');
    const composition = debug.graph.all()[0]!.launches[0]!.hydra!;
    assert.ok(composition.files.some((f) => f.path.endsWith('debug/profiler.yaml')), 'the debug profile is part of the composition');
    assert.equal(composition.values.get('trainer.detect_anomaly')?.override?.text, 'trainer.detect_anomaly=true');
    assert.deepEqual(findings(debug, 'train.sbatch', 'GA303'), []);
    assert.deepEqual(findings(debug, 'configs/trainer/gpu.yaml', 'GA303'), []);
  });
});

describe('GA603 on a Hydra job: the validation cadence the run gets', () => {
  it('a launch-line trainer.val_check_interval=10 is reported on the launch line; the fix rewrites the override', () => {
    const job = jobOf('hydra-val-cadence');
    const found = findings(job, 'train.sbatch', 'GA603');
    assert.equal(found.length, 1);
    const finding = found[0]!;
    assert.deepEqual(at(job, 'train.sbatch', finding.range), { line: lineOf(job, 'train.sbatch', 'python train.py'), text: 'trainer.val_check_interval=10' });
    assert.match(finding.message, /validates every 10 training batches \(the value Hydra composes for the job\)/);
    assert.deepEqual(finding.related, []);
    assert.deepEqual(finding.fixes.map((f) => [f.title, f.preferred]), [['Set val_check_interval: 1.0 (once per epoch)', false]]);
    const fixed = applyEdits(diskReader.read(path.join(job.dir, 'train.sbatch'))!, finding.fixes[0]!.edits);
    assert.match(fixed, /^python train\.py trainer\.val_check_interval=1\.0 data\.batch_size=2/m);
    // the selected trainer option says 1.0, and the unselected smoke option's 5 does not count
    assert.deepEqual(findings(job, 'conf/trainer/a100.yaml', 'GA603'), []);
    assert.deepEqual(findings(job, 'conf/trainer/smoke.yaml', 'GA603'), []);
    const after = jobOf('hydra-val-cadence', { 'train.sbatch': fixed });
    assert.deepEqual(findings(after, 'train.sbatch', 'GA603', { 'train.sbatch': fixed }), []);
  });

  it('a fraction in the selected trainer option (0.02 of an epoch) is reported there with the defaults entry', () => {
    const job = jobOf('hydra-micro-batch');
    const found = findings(job, 'conf/trainer/long_context.yaml', 'GA603');
    assert.equal(found.length, 1);
    assert.deepEqual(at(job, 'conf/trainer/long_context.yaml', found[0]!.range).text, 'val_check_interval: 0.02');
    assert.match(found[0]!.message, /validates every 2% of an epoch/);
    assert.deepEqual(found[0]!.related.map((r) => r.message), ['selected for the run by `trainer: long_context` here']);
    assert.deepEqual(findings(job, 'conf/trainer/short_context.yaml', 'GA603'), [], 'the unselected option does not count');
  });

  it('look-alike: val_check_interval: 20 in the file, 0.25 on the launch line', () => {
    const sane = jobOf('hydra-overridden-sane');
    assert.deepEqual(findings(sane, 'configs/trainer/default.yaml', 'GA603'), []);
    assert.deepEqual(findings(sane, 'train.sbatch', 'GA603'), []);
  });
});

describe('GA604 on a Hydra job: micro-batch and accumulation from different places', () => {
  it('batch_size: 1 in the data option with accumulate_grad_batches: 32 in the trainer option: reported in the data file, fixed in both', () => {
    const job = jobOf('hydra-micro-batch');
    const found = findings(job, 'conf/data/pg19.yaml', 'GA604');
    assert.equal(found.length, 1);
    const finding = found[0]!;
    assert.deepEqual(at(job, 'conf/data/pg19.yaml', finding.range), { line: lineOf(job, 'conf/data/pg19.yaml', 'batch_size'), text: 'batch_size: 1' });
    assert.match(finding.message, /^batch_size: 1 with accumulate_grad_batches: 32 \(the values Hydra composes for the job\): .* one sample/);
    const trainer = fileUri(path.join(job.dir, 'conf/trainer/long_context.yaml'));
    assert.deepEqual(finding.related.map((r) => [r.uri, r.range.start.line + 1, r.message]), [
      [trainer, lineOf(job, 'conf/trainer/long_context.yaml', 'accumulate_grad_batches'), '32 accumulation steps'],
      [fileUri(path.join(job.dir, 'conf/config.yaml')), lineOf(job, 'conf/config.yaml', 'data: pg19'), 'selected for the run by `data: pg19` here'],
    ]);
    assert.equal(finding.fixes.length, 1);
    const fix = finding.fixes[0]!;
    assert.deepEqual([fix.title, fix.preferred], ['Use batch_size: 4 and accumulate_grad_batches: 8 (same global batch; needs more GPU memory)', false]);
    const data = applyEdits(diskReader.read(path.join(job.dir, 'conf/data/pg19.yaml'))!, fix.edits);
    assert.match(data, /^batch_size: 4 {2}# expect: GA604$/m);
    assert.equal(fix.otherFiles?.length, 1);
    assert.equal(fix.otherFiles![0]!.uri, trainer);
    assert.deepEqual(fix.otherFiles![0]!.expected, ['32']);
    const trainerFile = fileURLToPath(trainer);
    const trainerText = applyEdits(diskReader.read(trainerFile)!, fix.otherFiles![0]!.edits);
    assert.match(trainerText, /^accumulate_grad_batches: 8$/m);
    const open = { 'conf/data/pg19.yaml': data, 'conf/trainer/long_context.yaml': trainerText };
    assert.deepEqual(findings(jobOf('hydra-micro-batch', open), 'conf/data/pg19.yaml', 'GA604', open), [], 'the fixed pair is no longer reported');
  });

  it('unselected options (batch_size: 2, accumulate_grad_batches: 8) and the file that sets the accumulation stay silent', () => {
    const job = jobOf('hydra-micro-batch');
    assert.deepEqual(findings(job, 'conf/data/pg19_short.yaml', 'GA604'), []);
    assert.deepEqual(findings(job, 'conf/trainer/short_context.yaml', 'GA604'), []);
    assert.deepEqual(findings(job, 'conf/trainer/long_context.yaml', 'GA604'), [], 'reported once, where the micro-batch is set');
  });

  it('a launch-line data.batch_size=2 is reported on the launch line; the fix edits the override and the trainer option', () => {
    const job = jobOf('hydra-val-cadence');
    const found = findings(job, 'train.sbatch', 'GA604');
    assert.equal(found.length, 1);
    const finding = found[0]!;
    assert.deepEqual(at(job, 'train.sbatch', finding.range).text, 'data.batch_size=2');
    assert.match(finding.message, /^batch_size: 2 with accumulate_grad_batches: 16 /);
    const fix = finding.fixes[0]!;
    assert.equal(fix.title, 'Use batch_size: 4 and accumulate_grad_batches: 8 (same global batch; needs more GPU memory)');
    assert.match(applyEdits(diskReader.read(path.join(job.dir, 'train.sbatch'))!, fix.edits), /data\.batch_size=4 {2}# expect/);
    assert.equal(fix.otherFiles![0]!.uri, fileUri(path.join(job.dir, 'conf/trainer/a100.yaml')));
    assert.deepEqual(fix.otherFiles![0]!.expected, ['16']);
    assert.deepEqual(findings(job, 'conf/data/coco_tiny.yaml', 'GA604'), [], 'the unselected batch_size: 1 option does not count');
    assert.deepEqual(findings(job, 'conf/data/coco.yaml', 'GA604'), [], 'batch_size: 8 there is overridden');
  });

  it('look-alike: batch_size: 2 with accumulate_grad_batches: 16 in the primary, 64 × 1 on the launch line', () => {
    const sane = jobOf('hydra-overridden-sane');
    assert.deepEqual(findings(sane, 'configs/config.yaml', 'GA604'), []);
    assert.deepEqual(findings(sane, 'train.sbatch', 'GA604'), []);
  });
});

describe('GA605 on a Hydra job: global batch against the dataset the composition selects', () => {
  it('per-device 128 (training option) × accumulation 32 (launch line) > MRPC (data option): reported on the batch, related to both', () => {
    const job = jobOf('hydra-hf-global-batch');
    const found = findings(job, 'conf/training/a100.yaml', 'GA605');
    assert.equal(found.length, 1);
    const finding = found[0]!;
    assert.deepEqual(at(job, 'conf/training/a100.yaml', finding.range), { line: lineOf(job, 'conf/training/a100.yaml', 'per_device_train_batch_size'), text: 'per_device_train_batch_size: 128' });
    assert.match(finding.message, /^Global batch 4096 \(per-device 128 × accumulation 32, as Hydra composes the config for the job\) is larger than the 3668 training examples of glue\/mrpc/);
    assert.deepEqual(finding.related.map((r) => [path.relative(job.dir, fileURLToPath(r.uri!)), r.range.start.line + 1, r.message]), [
      ['conf/config.yaml', lineOf(job, 'conf/config.yaml', 'training: a100'), 'selected for the run by `training: a100` here'],
      ['conf/data/mrpc.yaml', lineOf(job, 'conf/data/mrpc.yaml', 'dataset_name'), 'glue/mrpc: 3668 training examples'],
      ['finetune.sbatch', lineOf(job, 'finetune.sbatch', 'python finetune.py'), '32 accumulation steps'],
    ]);
    assert.deepEqual(finding.fixes, []);
    assert.deepEqual(findings(job, 'finetune.sbatch', 'GA605'), [], 'reported once, where the per-device batch is set');
    assert.deepEqual(findings(job, 'conf/data/mrpc.yaml', 'GA605'), []);
  });

  it('look-alike: the same recipe on MNLI (data=mnli on the launch line); the defaults list\'s MRPC option does not count', () => {
    const sane = jobOf('hydra-hf-batch-sane');
    const composition = sane.graph.all()[0]!.launches[0]!.hydra!;
    const selected = composition.values.get('data.dataset_config_name')?.node;
    assert.equal(selected?.type === 'scalar' ? selected.value : undefined, 'mnli');
    for (const file of ['conf/training/a100.yaml', 'conf/data/mrpc.yaml', 'conf/data/mnli.yaml', 'finetune.sbatch']) assert.deepEqual(findings(sane, file, 'GA605'), [], file);
  });

  it('outside any job the TrainingArguments file is judged alone, as before (no dataset named there: silent)', () => {
    const file = path.join(JOBS, 'hydra-hf-global-batch', 'conf/training/a100.yaml');
    const alone = analyzeConfig(diskReader.read(file)!, fileUri(file), 'yaml', defaultSettings()).findings.filter((f) => f.ruleId === 'GA605');
    assert.deepEqual(alone, []);
  });
});

describe('single-file forms outside a Hydra job are unchanged', () => {
  it('a Hydra trainer file analysed without a job still reports detect_anomaly and val_check_interval', () => {
    const file = path.join(JOBS, 'hydra-overridden-sane', 'configs/trainer/default.yaml');
    const ids = analyzeConfig(diskReader.read(file)!, fileUri(file), 'yaml', defaultSettings()).findings.map((f) => f.ruleId).sort();
    assert.deepEqual(ids, ['GA303', 'GA603']);
    const primary = path.join(JOBS, 'hydra-overridden-sane', 'configs/config.yaml');
    assert.deepEqual(analyzeConfig(diskReader.read(primary)!, fileUri(primary), 'yaml', defaultSettings()).findings.filter((f) => f.ruleId === 'GA604').length, 1);
  });
});
