/** The entry script's estimate with the facts of the batch job that runs it (estimates/jobEstimate.ts). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzePython } from '../../../server/src/analysis/engine';
import { jobRunFacts, withJobFacts } from '../../../server/src/estimates/jobEstimate';
import { graphOf, schedulerCandidates } from '../../../server/src/jobs/discover';
import { fileUri } from '../../../server/src/jobs/graph';
import { diskReader, overlayReader } from '../../../server/src/jobs/reader';
import { estimateLensTitle } from '../../../server/src/features/codeLens';
import { pythonParser } from '../analyze';

const JOBS = path.join(__dirname, '..', '..', 'fixtures', 'jobs');

async function estimateOf(job: string, script: string, open: Record<string, string> = {}) {
  const dir = path.join(JOBS, job);
  const graph = graphOf(schedulerCandidates(dir), overlayReader((file) => open[path.relative(dir, file)]), [dir]);
  const file = path.join(dir, script);
  const text = diskReader.read(file)!;
  const tree = (await pythonParser()).parse(text)!;
  try {
    const settings = withJobFacts(defaultSettings(), graph.viewOf(file), file);
    return { facts: jobRunFacts(graph.viewOf(file), file), estimate: analyzePython(tree, text, fileUri(file), settings).estimate! };
  } finally {
    tree.delete();
  }
}

const assumption = (estimate: { status: string } & Record<string, unknown>, name: string) => {
  const list = (estimate.status === 'estimate' ? (estimate.estimate as { assumptions: { name: string; value: unknown; source: { title: string } }[] }).assumptions : (estimate.assumptions as { name: string; value: unknown; source: { title: string } }[]));
  return list.find((a) => a.name === name);
};

describe('entry script estimate with the job’s facts', () => {
  it('torchrun --nproc_per_node=4 on --gres=gpu:a100:4: 4× A100 labelled as the batch job’s, not greenAI.hardware.*', async () => {
    const { facts, estimate } = await estimateOf('torchrun-deepspeed', 'train.py');
    assert.deepEqual(facts?.devices, { count: 4, from: '4 A100 GPUs from train.sbatch --gres=gpu:a100:4' });
    const devices = assumption(estimate as never, 'Accelerators')!;
    assert.equal(devices.value, 4);
    assert.equal(devices.source.title, 'Batch job: 4 A100 GPUs from train.sbatch --gres=gpu:a100:4');
    const model = assumption(estimate as never, 'Accelerator model')!;
    assert.equal(model.value, 'a100');
    assert.equal(model.source.title, 'Batch job: train.sbatch --gres=gpu:a100:4');
    assert.doesNotMatch(JSON.stringify(estimate), /Setting greenAI\.hardware/);
  });

  it('fewer processes than GPUs: the processes the launch starts count', async () => {
    const dir = path.join(JOBS, 'torchrun-deepspeed');
    const edited = diskReader.read(path.join(dir, 'train.sbatch'))!.replace('--nproc_per_node=4', '--nproc_per_node=2');
    const { facts } = await estimateOf('torchrun-deepspeed', 'train.py', { 'train.sbatch': edited });
    assert.deepEqual(facts?.devices, { count: 2, from: '2 of the 4 A100 GPUs from train.sbatch --gres=gpu:a100:4 (2 processes started by the launch line)' });
  });

  it('a script whose run size is unknown is bounded by the job’s --time limit (this job: ≤ …)', async () => {
    // hydra-defaults/train.py instantiates its model from the config: no model size in the script
    const { facts, estimate } = await estimateOf('hydra-defaults', 'train.py');
    assert.deepEqual(facts?.wallHours, { hours: 24, from: 'train.sbatch --time=24:00:00' });
    assert.equal(estimate.status, 'estimate');
    assert.match(estimateLensTitle(estimate), /^this job: ≤ 4× \S+ for 24 h ≈/);
    assert.match(assumption(estimate as never, 'Wall-clock time (upper bound)')!.source.title, /^Batch job: train\.sbatch --time=24:00:00$/);
    assert.equal(assumption(estimate as never, 'Accelerators')!.source.title, 'Batch job: 4 GPUs from train.sbatch --gres=gpu:4');
  });

  it('without --time a script of unknown size still says what is missing (the GPUs still come from the job)', async () => {
    const sbatch = diskReader.read(path.join(JOBS, 'hydra-defaults', 'train.sbatch'))!.replace('#SBATCH --time=24:00:00\n', '');
    const { facts, estimate } = await estimateOf('hydra-defaults', 'train.py', { 'train.sbatch': sbatch });
    assert.equal(facts?.wallHours, undefined);
    assert.equal(estimate.status, 'missing');
    assert.equal(assumption(estimate as never, 'Accelerators')!.source.title, 'Batch job: 4 GPUs from train.sbatch --gres=gpu:4');
  });

  it('a file the job loads as a config, not as its entry script, gets no job facts', () => {
    const dir = path.join(JOBS, 'torchrun-deepspeed');
    const graph = graphOf(schedulerCandidates(dir), diskReader, [dir]);
    const config = path.join(dir, 'train_args.yaml');
    assert.equal(jobRunFacts(graph.viewOf(config), config), undefined);
    const settings = defaultSettings();
    assert.equal(withJobFacts(settings, graph.viewOf(config), config), settings);
  });
});
