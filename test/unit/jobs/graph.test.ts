/** The job graph on the multi-file fixtures (test/fixtures/jobs/): edges, facts and the cross-file findings they cause. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeConfig } from '../../../server/src/analysis/configEngine';
import { analyzeFiles } from '../../../server/src/cli/analyzeFiles';
import { configFormatOf } from '../../../server/src/configs/configFile';
import { graphOf, schedulerCandidates } from '../../../server/src/jobs/discover';
import { fileUri, worldSize, type JobGraph } from '../../../server/src/jobs/graph';
import { pythonFacts } from '../../../server/src/jobs/pythonFacts';
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

describe('job graph', () => {
  it('links SLURM → torchrun → train.py → train_args.yaml → ds_config.json', () => {
    const { dir, graph } = graphFor('torchrun-deepspeed');
    const job = graph.job(path.join(dir, 'train.sbatch'));
    assert.ok(job, 'the batch script is a job');
    assert.deepEqual([...job.files].map((f) => path.relative(dir, f)).sort(), ['ds_config.json', 'train.py', 'train.sbatch', 'train_args.yaml']);
    const launch = job.launches[0]!;
    assert.equal(launch.processesPerNode, 4);
    assert.equal(worldSize(job, launch), 4);
    assert.ok(launch.entry?.facts.multiGpuInProcess, 'the HF Trainer is recognised');
    const ds = graph.viewOf(path.join(dir, 'ds_config.json'));
    assert.equal(ds.uses.length, 1);
    assert.equal(path.relative(dir, ds.uses[0]!.config!.from.path), 'train_args.yaml', 'reached through the TrainingArguments deepspeed: key');
  });

  it('a changed launch line changes findings in the scheduler and in a config it loads', () => {
    const slurm = 'train.sbatch';
    const original = diskReader.read(path.join(JOBS, 'torchrun-deepspeed', slurm))!;
    const { dir, graph } = graphFor('torchrun-deepspeed');
    const ds = path.join(dir, 'ds_config.json');
    assert.deepEqual(findingsOf(graph, path.join(dir, slurm)).map((f) => f.ruleId), []);
    assert.deepEqual(findingsOf(graph, ds).map((f) => f.ruleId), []);

    const edited = original.replace('--nproc_per_node=4', '--nproc_per_node=1');
    const after = graphFor('torchrun-deepspeed', { [slurm]: edited }).graph;
    const affected = after.fileChanged(path.join(dir, slurm));
    assert.ok(affected.has(ds), 'the DeepSpeed config is a dependant of the batch script');
    const onScheduler = findingsOf(after, path.join(dir, slurm), edited);
    assert.deepEqual(onScheduler.map((f) => `${f.range.start.line + 1} ${f.ruleId}`), ['6 GA701']);
    assert.match(onScheduler[0]!.message, /3 GPUs stay idle/);
    const onConfig = findingsOf(after, ds);
    assert.deepEqual(onConfig.map((f) => `${f.range.start.line + 1} ${f.ruleId}`), ['8 GA704']);
    assert.equal(onConfig[0]!.related[0]!.uri, fileUri(path.join(dir, slurm)), 'related information points at the launch line');
    assert.equal(onConfig[0]!.related[0]!.range.start.line, 15);
  });

  it('a malformed config in a job gets its parse note and the rest of the job is still analysed', () => {
    const broken = '{\n  "zero_optimization": {\n    "stage": 3,\n  \n  "bf16": {"enabled": true}\n';
    const { dir, graph } = graphFor('torchrun-deepspeed', { 'ds_config.json': broken, 'train.sbatch': diskReader.read(path.join(JOBS, 'torchrun-deepspeed', 'train.sbatch'))!.replace('--nproc_per_node=4', '--nproc_per_node=1') });
    const onConfig = findingsOf(graph, path.join(dir, 'ds_config.json'), broken);
    assert.deepEqual(onConfig.map((f) => f.ruleId), ['GA000']);
    assert.match(onConfig[0]!.message, /^JSON: /);
    const onScheduler = findingsOf(graph, path.join(dir, 'train.sbatch'), diskReader.read(path.join(dir, 'train.sbatch'))!.replace('--nproc_per_node=4', '--nproc_per_node=1'));
    assert.deepEqual(onScheduler.map((f) => f.ruleId), ['GA701']);
  });

  it('a config the job names but that does not exist yet joins the job when it is created', () => {
    const dir = path.join(JOBS, 'torchrun-deepspeed');
    const ds = path.join(dir, 'ds_config.json');
    let exists = false;
    const reader = { read: (file: string) => (file === ds && !exists ? undefined : diskReader.read(file)) };
    const graph = graphOf(schedulerCandidates(dir), reader, [dir]);
    assert.equal(graph.viewOf(ds).uses.length, 0);
    exists = true;
    assert.ok(graph.fileChanged(ds).has(path.join(dir, 'train.sbatch')));
    assert.equal(graph.viewOf(ds).uses.length, 1);
  });

  it('takes accelerate launch’s process count from its --config_file and points at it', () => {
    const { dir, graph } = graphFor('accelerate-deepspeed');
    const findings = findingsOf(graph, path.join(dir, 'finetune.sbatch'));
    assert.deepEqual(findings.map((f) => f.ruleId), ['GA701']);
    assert.equal(findings[0]!.severity, 'warning');
    assert.match(findings[0]!.message, /accelerate launch starts 2 processes per node: 6 GPUs stay idle/);
    const related = findings[0]!.related.find((r) => r.uri === fileUri(path.join(dir, 'configs', 'accelerate.yaml')));
    assert.ok(related, 'related information points at accelerate.yaml');
    assert.equal(related.range.start.line, 8, 'the num_processes line');
    const job = graph.job(path.join(dir, 'finetune.sbatch'))!;
    assert.ok([...job.files].some((f) => f.endsWith('zero2_offload.json')), 'the DeepSpeed file named by accelerate.yaml is in the job');
  });

  it('judges a plain python launch by its entry script', () => {
    const dataParallel = graphFor('python-dataparallel');
    assert.deepEqual(findingsOf(dataParallel.graph, path.join(dataParallel.dir, 'train.sbatch')).map((f) => f.ruleId), [], 'nn.DataParallel uses all four GPUs');
    const single = graphFor('python-single-gpu');
    const findings = findingsOf(single.graph, path.join(single.dir, 'job.sbatch'));
    const idle = findings.find((f) => f.ruleId === 'GA701');
    assert.ok(idle);
    assert.equal(idle.severity, 'warning', 'certain once the script is read (information without it)');
    assert.ok(idle.related.some((r) => r.uri === fileUri(path.join(single.dir, 'src', 'train.py'))), 'resolved after `cd src`');
    const alone = analyzeConfig(diskReader.read(path.join(single.dir, 'job.sbatch'))!, fileUri(path.join(single.dir, 'job.sbatch')), 'shell', defaultSettings());
    assert.equal(alone.findings.find((f) => f.ruleId === 'GA701')?.severity, 'information');
  });

  it('matches an absolute cluster path by its last segments under the workspace, and stays uncertain', () => {
    const slurm = 'job.sbatch';
    const text = diskReader.read(path.join(JOBS, 'python-single-gpu', slurm))!.replace('cd src\npython train.py', 'python /cluster/home/ana/cifar/src/train.py');
    const { dir, graph } = graphFor('python-single-gpu', { [slurm]: text });
    const entry = graph.job(path.join(dir, slurm))!.launches[0]!.entry;
    assert.equal(entry?.path, path.join(dir, 'src', 'train.py'));
    assert.equal(entry?.byName, true);
    const idle = findingsOf(graph, path.join(dir, slurm), text).find((f) => f.ruleId === 'GA701');
    assert.equal(idle?.severity, 'information');
  });

  it('GA703: CPUs per node against processes × (workers + 1), with the workers’ file as related information', () => {
    const single = graphFor('python-single-gpu');
    const cpu = findingsOf(single.graph, path.join(single.dir, 'job.sbatch')).find((f) => f.ruleId === 'GA703');
    assert.ok(cpu);
    assert.match(cpu.message, /gives each node 4 CPUs \(--cpus-per-task=4\) but starts 1 training process per node with 8 data loader workers each.*1 × \(8 \+ 1\) = 9 busy threads/);
    assert.match(cpu.message, /4 GPUs \(192 GPU-hours over the 48 h --time limit\)/);
    assert.deepEqual(cpu.fixes[0]!.edits.map((e) => e.newText), ['9']);
    assert.equal(cpu.related[0]!.uri, fileUri(path.join(single.dir, 'src', 'train.py')));
    const hydra = graphFor('hydra-lightning');
    const fromOverride = findingsOf(hydra.graph, path.join(hydra.dir, 'run.sbatch')).find((f) => f.ruleId === 'GA703');
    assert.ok(fromOverride);
    assert.match(fromOverride.message, /data\.num_workers=12/);
  });

  it('follows @hydra.main to the primary config and offers the job’s --time as max_time', () => {
    const { dir, graph } = graphFor('hydra-lightning');
    const config = path.join(dir, 'conf', 'config.yaml');
    const findings = findingsOf(graph, config);
    const unbounded = findings.find((f) => f.ruleId === 'GA601');
    assert.ok(unbounded);
    assert.equal(unbounded.fixes[0]?.title, 'Add max_time: "00:11:50:00" (the job\'s --time limit less 10 min)');
    assert.equal(unbounded.related[0]?.uri, fileUri(path.join(dir, 'run.sbatch')));
  });
});

describe('settings on the launch line', () => {
  for (const [job, config] of [['hydra-overrides', 'configs/base.yaml'], ['lightning-cli-flags', 'configs/vit.yaml']] as const) {
    it(`${job}: Hydra overrides / Lightning CLI flags of the job silence what they set in ${config}`, () => {
      const { dir, graph } = graphFor(job);
      const file = path.join(dir, config);
      const alone = analyzeConfig(diskReader.read(file)!, fileUri(file), 'yaml', defaultSettings()).findings.map((f) => f.ruleId);
      assert.ok(alone.includes('GA101') && alone.includes('GA601'), `without the job: ${alone.join(', ')}`);
      assert.deepEqual(findingsOf(graph, file).map((f) => f.ruleId), []);
    });
  }
});

describe('green-ai check over a job', () => {
  it('builds the job graph over the files it is given (the entry script makes GA701 certain)', async () => {
    const dir = path.join(JOBS, 'python-single-gpu');
    const results = await analyzeFiles([path.join(dir, 'job.sbatch'), path.join(dir, 'src', 'train.py')], defaultSettings(), 1);
    const idle = results[0]!.findings.find((f) => f.ruleId === 'GA701');
    assert.equal(idle?.severity, 'warning');
    assert.ok(results[0]!.findings.some((f) => f.ruleId === 'GA703'), 'GA703 needs the entry script’s workers');
  });
});

describe('entry script facts', () => {
  it('reads multi-GPU use, workers and literal config paths; ignores comments and DistributedDataParallel', () => {
    const facts = pythonFacts(
      [
        '# model = nn.DataParallel(model)',
        'model = DistributedDataParallel(model, device_ids=[rank])',
        'parser.add_argument("-j", "--workers", type=int, default=6)',
        'loader = DataLoader(ds, num_workers=2)',
        'args = HfArgumentParser(TrainingArguments).parse_json_file(json_file="configs/args.json")',
      ].join('\n'),
    );
    assert.equal(facts.multiGpuInProcess, undefined);
    assert.equal(facts.numWorkers?.value, 6);
    assert.deepEqual(facts.configPaths.map((c) => c.value), ['configs/args.json']);
    assert.ok(pythonFacts('model = torch.nn.DataParallel(model)').multiGpuInProcess);
    assert.ok(pythonFacts('model = AutoModel.from_pretrained(name, device_map="auto")').multiGpuInProcess);
  });
});
