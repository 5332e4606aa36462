/**
 * Launcher scripts (a `.sh` without `#SBATCH` that launches a Python entry point) as jobs without an allocation, and
 * the silence of the composed config rules on a Hydra app's options that no launch selects.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeConfig } from '../../../server/src/analysis/configEngine';
import { configFormatOf } from '../../../server/src/configs/configFile';
import { graphOf, schedulerCandidates } from '../../../server/src/jobs/discover';
import { fileUri, worldSize, type JobGraph } from '../../../server/src/jobs/graph';
import { diskReader } from '../../../server/src/jobs/reader';
import { WorkspaceJobs } from '../../../server/src/jobs/workspaceJobs';

const JOBS = path.join(__dirname, '..', '..', 'fixtures', 'jobs');
const COMPOSED_RULES = ['GA101', 'GA201', 'GA202', 'GA303', 'GA601', 'GA603', 'GA604', 'GA605'];

function graphFor(dir: string): JobGraph {
  return graphOf(schedulerCandidates(dir), diskReader, [dir]);
}

/** `LINE RULE` of every finding of a file analysed with the graph, as the server and the evaluation do. */
function found(graph: JobGraph, file: string): string[] {
  const text = diskReader.read(file)!;
  const outcome = analyzeConfig(text, fileUri(file), configFormatOf(undefined, file)!, defaultSettings(), undefined, graph.viewOf(file));
  return outcome.findings.map((f) => `${f.range.start.line + 1} ${f.ruleId}`);
}

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'green-ai-launcher-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const HYDRA_TRAIN = `import hydra\n\n@hydra.main(version_base="1.3", config_path="configs", config_name="train")\ndef main(cfg):\n    hydra.utils.instantiate(cfg.trainer).fit()\n`;

describe('launcher scripts as jobs', () => {
  const dir = path.join(JOBS, 'launcher-hydra-overrides');
  const graph = graphFor(dir);
  const launcher = path.join(dir, 'run_local.sh');

  it('a .sh that launches a Python entry point is a job without an allocation, composing the configs its launch line overrides', () => {
    const job = graph.job(launcher);
    assert.ok(job, 'run_local.sh is a job');
    assert.equal(job.kind, 'launcher');
    assert.equal(job.allocation, undefined);
    assert.equal(job.launches.length, 1);
    const composition = job.launches[0]!.hydra;
    assert.ok(composition, 'the launch composes the Hydra app of train.py');
    assert.deepEqual(composition.files.map((f) => path.relative(dir, f.path)), ['configs/train.yaml', 'configs/data/librispeech.yaml', 'configs/trainer/gpu.yaml']);
    assert.equal(composition.values.get('trainer.precision')?.override?.text, 'trainer.precision=32');
    assert.equal(composition.values.get('data.num_workers')?.override?.text, 'data.num_workers=8');
  });

  it('GA101 on the launch line\'s trainer.precision=32; GA201 silent on num_workers: 0 overridden there; no allocation rule', () => {
    const line = diskReader.read(launcher)!.split('\n').findIndex((l) => l.startsWith('python train.py')) + 1;
    assert.deepEqual(found(graph, launcher), [`${line} GA101`]);
    assert.deepEqual(found(graph, path.join(dir, 'configs/data/librispeech.yaml')), []);
    assert.deepEqual(found(graph, path.join(dir, 'configs/trainer/gpu.yaml')), []);
  });

  it('a script that only sets up the environment (module load, pip install, python -m pip) is no job', () => {
    assert.equal(graph.job(path.join(dir, 'scripts/env.sh')), undefined);
    assert.deepEqual(graph.all().map((j) => path.relative(dir, j.path)), ['run_local.sh']);
  });

  it('gives the entry script no job facts (a launcher allocates nothing for its estimate)', () => {
    assert.deepEqual(graph.viewOf(path.join(dir, 'train.py')).uses, []);
  });

  it('leaves out launchers whose entry is not in the workspace, setup.py, and python -c; keeps torchrun and accelerate launches', () => {
    const ws = workspace({
      'setup_only.sh': 'python setup.py develop\npython -c "import torch; print(torch.cuda.is_available())"\npython -m venv .venv\n',
      'missing.sh': 'python does_not_exist.py trainer=gpu\n',
      'setup.py': 'from setuptools import setup\nsetup()\n',
      'ddp.sh': 'torchrun --nproc_per_node=2 train.py trainer.precision=32\n',
      'acc.sh': 'accelerate launch --num_processes 2 train.py\n',
      'train.py': HYDRA_TRAIN,
      'configs/train.yaml': 'trainer:\n  accelerator: gpu\n  devices: 2\n',
    });
    const g = graphFor(ws);
    assert.deepEqual(g.all().map((j) => path.basename(j.path)).sort(), ['acc.sh', 'ddp.sh']);
    for (const job of g.all()) assert.equal(job.allocation, undefined);
  });

  it('the server\'s graph picks a launcher up from its editor text, and drops it when the launch goes', () => {
    const ws = workspace({ 'train.py': HYDRA_TRAIN, 'configs/train.yaml': 'trainer:\n  accelerator: gpu\n' });
    const open = new Map<string, string>();
    const jobs = new WorkspaceJobs({ read: (file) => open.get(file) ?? diskReader.read(file) });
    jobs.setRoots([ws]);
    const script = path.join(ws, 'run.sh');
    open.set(script, 'python train.py trainer.precision=32\n');
    jobs.schedulerText(script, open.get(script)!);
    assert.equal(jobs.viewOf(script).scheduled?.kind, 'launcher');
    assert.equal(jobs.viewOf(path.join(ws, 'configs/train.yaml')).uses.length, 1);
    open.set(script, 'pip install -r requirements.txt\n');
    jobs.schedulerText(script, open.get(script)!);
    assert.equal(jobs.viewOf(script).scheduled, undefined);
  });
});

describe('Hydra options no launch selects', () => {
  const dir = path.join(JOBS, 'hydra-unselected-option');
  const graph = graphFor(dir);

  it('the defaults list\'s data: cifar10, replaced by data=places365 on the launch line, gets no composed-rule finding', () => {
    const file = path.join(dir, 'conf/data/cifar10.yaml');
    assert.ok((graph.viewOf(file).apps ?? []).length > 0, 'the file is in the app\'s config tree');
    assert.deepEqual(found(graph, file).filter((f) => COMPOSED_RULES.includes(f.split(' ')[1]!)), []);
  });

  it('a trainer option no defaults list or launch names (precision: 32, detect_anomaly) is not judged alone', () => {
    assert.deepEqual(found(graph, path.join(dir, 'conf/trainer/gpu_fp32.yaml')), []);
  });

  it('a YAML outside the app\'s config folder keeps its single-file judgement', () => {
    const file = path.join(dir, 'eval/trainer_fp32.yaml');
    assert.deepEqual(graph.viewOf(file).apps, []);
    assert.deepEqual(found(graph, file), ['3 GA101', '8 GA201']);
  });

  it('with the config folder the script\'s own directory, only the group folders the composition draws from count', () => {
    const ws = workspace({
      'train.sbatch': '#!/bin/bash\n#SBATCH --gres=gpu:1\npython train.py\n',
      'train.py': 'import hydra\n\n@hydra.main(version_base=None, config_name="config")\ndef main(cfg):\n    pass\n',
      'config.yaml': 'defaults:\n  - data: a\n  - trainer: gpu\n',
      'data/a.yaml': 'num_workers: 4\n',
      'data/b.yaml': 'num_workers: 0\n',
      'trainer/gpu.yaml': '_target_: lightning.pytorch.Trainer\naccelerator: gpu\nprecision: bf16-mixed\nmax_epochs: 3\n',
      'lightning/fit.yaml': 'trainer:\n  accelerator: gpu\n  max_epochs: 3\n',
      'beside.yaml': 'trainer:\n  accelerator: gpu\n  max_epochs: 3\n',
    });
    const g = graphFor(ws);
    assert.deepEqual(found(g, path.join(ws, 'data/b.yaml')), [], 'an unselected option of a group the app uses');
    assert.deepEqual(g.viewOf(path.join(ws, 'lightning/fit.yaml')).apps, [], 'a folder the app draws nothing from');
    assert.deepEqual(found(g, path.join(ws, 'lightning/fit.yaml')), ['2 GA101']);
    assert.deepEqual(found(g, path.join(ws, 'beside.yaml')), ['2 GA101'], 'a YAML beside the entry script');
  });
});

describe('launcher world size', () => {
  it('is unknown (the script may itself run once per srun task), so the world-size rules stay silent', () => {
    const ws = workspace({
      'run.sh': 'python train.py --deepspeed ds.json\n',
      'train.py': 'from transformers import Trainer\n',
      'ds.json': '{"zero_optimization": {"stage": 3}, "bf16": {"enabled": true}}\n',
    });
    const g = graphFor(ws);
    const job = g.job(path.join(ws, 'run.sh'));
    assert.ok(job);
    assert.equal(worldSize(job, job.launches[0]!), undefined);
    assert.deepEqual(found(g, path.join(ws, 'ds.json')).filter((f) => f.endsWith('GA704')), []);
  });
});
