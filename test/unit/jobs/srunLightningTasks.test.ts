/**
 * GA701 for a Lightning script under srun: Lightning starts no processes itself there, one rank per SLURM task, so
 * the tasks per node are the processes, once Lightning's `devices` agrees with them (a mismatch stops the job at
 * start-up with a ValueError: not idle GPUs). Fixtures: jobs/lightning-srun-tasks/, jobs/lightning-srun-devices-mismatch/.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeConfig } from '../../../server/src/analysis/configEngine';
import { graphOf, schedulerCandidates } from '../../../server/src/jobs/discover';
import { fileUri } from '../../../server/src/jobs/graph';
import { diskReader, overlayReader } from '../../../server/src/jobs/reader';
import { applyEdits } from '../analyze';

const JOBS = path.join(__dirname, '..', '..', 'fixtures', 'jobs');

/** GA701 on the job's batch script, with some files of the job replaced by `open` (paths relative to the job). */
function idle(job: string, script: string, open: Record<string, string> = {}) {
  const dir = path.join(JOBS, job);
  const reader = overlayReader((file) => open[path.relative(dir, file)]);
  const graph = graphOf(schedulerCandidates(dir), reader, [dir]);
  const file = path.join(dir, script);
  const text = open[script] ?? diskReader.read(file)!;
  return { dir, text, found: analyzeConfig(text, fileUri(file), 'shell', defaultSettings(), undefined, graph.viewOf(file)).findings.filter((f) => f.ruleId === 'GA701') };
}

describe('GA701: srun tasks of a Lightning script', () => {
  it('4 GPUs, --ntasks-per-node=2, devices: 2 → 2 idle GPUs, certain, with the devices line as related information', () => {
    const { dir, text, found } = idle('lightning-srun-tasks', 'fit.sbatch');
    assert.equal(found.length, 1);
    const [finding] = found;
    assert.equal(finding!.severity, 'warning');
    assert.equal(finding!.range.start.line, 3, 'on the #SBATCH GPU directive');
    assert.match(finding!.message, /srun starts 2 processes per node of main\.py: 2 GPUs stay idle/);
    assert.match(finding!.message, /Lightning starts no processes of its own/);
    const devices = finding!.related.find((r) => r.uri === fileUri(path.join(dir, 'configs', 'segformer.yaml')));
    assert.equal(devices?.range.start.line, 3, 'the devices: 2 line');
    const reduce = finding!.fixes.find((f) => f.title === 'Request 2 GPUs per node instead');
    assert.ok(reduce);
    const fixed = applyEdits(text, reduce.edits);
    assert.match(fixed, /--gres=gpu:2/);
    assert.deepEqual(idle('lightning-srun-tasks', 'fit.sbatch', { 'fit.sbatch': fixed }).found, []);
  });

  it('devices on the launch line win over the config (`--trainer.devices 2`, `--trainer.devices=2`)', () => {
    const script = diskReader.read(path.join(JOBS, 'lightning-srun-devices-mismatch', 'fit.sbatch'))!;
    for (const flag of ['--trainer.devices 2', '--trainer.devices=2']) {
      const { found } = idle('lightning-srun-devices-mismatch', 'fit.sbatch', { 'fit.sbatch': script.replace('configs/segformer.yaml', `configs/segformer.yaml ${flag}`) });
      assert.equal(found.length, 1, flag);
      assert.ok(found[0]!.related.some((r) => r.message.startsWith(`Lightning's ${flag}`)), flag);
    }
  });

  it('stays silent where the tasks do not decide the process count', () => {
    assert.deepEqual(idle('lightning-srun-devices-mismatch', 'fit.sbatch').found, [], 'devices: 4 against 2 tasks: a start-up error');
    const config = diskReader.read(path.join(JOBS, 'lightning-srun-tasks', 'configs', 'segformer.yaml'))!;
    assert.deepEqual(idle('lightning-srun-tasks', 'fit.sbatch', { 'configs/segformer.yaml': config.replace('devices: 2', 'devices: auto') }).found, [], 'devices decided at run time');
    const script = diskReader.read(path.join(JOBS, 'lightning-srun-tasks', 'fit.sbatch'))!;
    assert.deepEqual(idle('lightning-srun-tasks', 'fit.sbatch', { 'fit.sbatch': script.replace('--ntasks-per-node=2', '--ntasks-per-node=4') }).found, [], 'one task per GPU');
    assert.deepEqual(idle('lightning-cli-flags', 'fit.sbatch').found, [], 'the existing look-alike: 2 GPUs, 2 tasks, devices: 2');
  });

  it('one task per node (sbatch default) with devices: 1 on 4 GPUs → 3 idle', () => {
    const script = diskReader.read(path.join(JOBS, 'lightning-srun-tasks', 'fit.sbatch'))!.replace('#SBATCH --ntasks-per-node=2\n', '');
    const config = diskReader.read(path.join(JOBS, 'lightning-srun-tasks', 'configs', 'segformer.yaml'))!.replace('devices: 2', 'devices: 1');
    const { found } = idle('lightning-srun-tasks', 'fit.sbatch', { 'fit.sbatch': script, 'configs/segformer.yaml': config });
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /srun starts 1 process per node of main\.py: 3 GPUs stay idle/);
  });

  it('a Hydra Lightning app under srun: the composed trainer.devices against the tasks', () => {
    const script = ['#!/bin/bash', '#SBATCH --gres=gpu:4', '#SBATCH --ntasks-per-node=2', '#SBATCH --cpus-per-task=8', '#SBATCH --time=12:00:00', '', 'srun python train.py trainer.devices=2 data.num_workers=4', ''].join('\n');
    const { found } = idle('hydra-lightning', 'run.sbatch', { 'run.sbatch': script });
    assert.equal(found.length, 1);
    assert.ok(found[0]!.related.some((r) => r.message === "Lightning's trainer.devices=2: one device per SLURM task"));
    assert.deepEqual(idle('hydra-lightning', 'run.sbatch', { 'run.sbatch': script.replace('trainer.devices=2', 'trainer.devices=4') }).found, []);
  });
});
