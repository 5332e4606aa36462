/** Findings on a batch script caused by another file of the job, and quick fixes that edit that other file. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeConfig } from '../../../server/src/analysis/configEngine';
import { configFormatOf } from '../../../server/src/configs/configFile';
import { graphOf, schedulerCandidates } from '../../../server/src/jobs/discover';
import { fileUri, type JobGraph } from '../../../server/src/jobs/graph';
import { diskReader, overlayReader } from '../../../server/src/jobs/reader';
import type { Fix } from '../../../server/src/rules/rule';
import { applyEdits } from '../analyze';

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

/** Applies a fix's edits of other files; returns their new texts by path relative to the job folder. */
function applyOther(dir: string, fix: Fix): Record<string, string> {
  const out: Record<string, string> = {};
  for (const other of fix.otherFiles ?? []) {
    const file = fileURLToPath(other.uri);
    const before = diskReader.read(file)!;
    assert.deepEqual(other.edits.map((e) => applyEdits(before, [{ ...e, newText: '' }]) !== undefined && before.split('\n')[e.range.start.line]!.slice(e.range.start.character, e.range.end.character)), other.expected, 'expected holds the replaced text');
    out[path.relative(dir, file)] = applyEdits(before, other.edits);
  }
  return out;
}

describe('GA702 through the job graph: a config forces the CPU', () => {
  const cases = [
    { job: 'accelerate-use-cpu', script: 'train.sbatch', config: 'configs/cpu.yaml', line: 6, what: /use_cpu: true/, after: /^use_cpu: false$/m },
    { job: 'hf-no-cuda', script: 'finetune.sbatch', config: 'config/train_args.json', line: 7, what: /no_cuda: true/, after: /"no_cuda": false/ },
    { job: 'lightning-cpu-config', script: 'fit.sbatch', config: 'configs/vit.yaml', line: 2, what: /accelerator: cpu/, after: /^ {2}accelerator: gpu$/m },
    { job: 'hydra-cpu-option', script: 'run.sbatch', config: 'conf/trainer/cpu.yaml', line: 1, what: /Hydra composes .* accelerator: cpu/, after: undefined },
  ];
  for (const c of cases) {
    it(`${c.job}: GA702 on the GPU request, related to ${c.config}, fixed in that file`, () => {
      const { dir, graph } = graphFor(c.job);
      const script = path.join(dir, c.script);
      const findings = findingsOf(graph, script).filter((f) => f.ruleId === 'GA702');
      assert.equal(findings.length, 1);
      const finding = findings[0]!;
      assert.equal(finding.range.start.line, 2);
      assert.match(finding.message, c.what);
      const related = finding.related.find((r) => r.uri === fileUri(path.join(dir, c.config)));
      assert.ok(related, 'related information points at the file that forces the CPU');
      assert.equal(related.range.start.line + 1, c.line);
      assert.ok(!findingsOf(graph, script).some((f) => f.ruleId === 'GA701'), 'a CPU run is not also reported as idle GPUs');
      const fix = finding.fixes.find((f) => f.otherFiles);
      if (!c.after) {
        assert.equal(fix, undefined, 'a Hydra group option named cpu is not rewritten to the GPU: another option is selected by hand');
        return;
      }
      assert.ok(fix, `cross-file fix among ${finding.fixes.map((f) => f.title).join(' | ')}`);
      assert.deepEqual(fix.edits, []);
      const open = applyOther(dir, fix);
      assert.match(open[c.config]!, c.after);
      const fixed = graphFor(c.job, open).graph;
      assert.deepEqual(findingsOf(fixed, script).filter((f) => f.ruleId === 'GA702'), [], 'the run uses the GPU after the fix');
    });
  }

  it('look-alikes: a launch-line --trainer.accelerator=gpu overrides the config; use_cpu: false does not count', () => {
    const overridden = graphFor('lightning-cpu-overridden');
    assert.deepEqual(findingsOf(overridden.graph, path.join(overridden.dir, 'fit.sbatch')).map((f) => f.ruleId), []);
    const accelerate = graphFor('accelerate-deepspeed');
    assert.ok(!findingsOf(accelerate.graph, path.join(accelerate.dir, 'finetune.sbatch')).some((f) => f.ruleId === 'GA702'));
    const unselected = graphFor('hydra-group-override');
    assert.ok(!findingsOf(unselected.graph, path.join(unselected.dir, 'train.sbatch')).some((f) => f.ruleId === 'GA702'));
  });
});

describe('GA701 cross-file fix', () => {
  it('offers num_processes in the Accelerate config beside the GPU request; applying it clears GA701', () => {
    const { dir, graph } = graphFor('accelerate-deepspeed');
    const script = path.join(dir, 'finetune.sbatch');
    const idle = findingsOf(graph, script).find((f) => f.ruleId === 'GA701')!;
    assert.deepEqual(idle.fixes.map((f) => f.title), ['Set num_processes: 8 in accelerate.yaml', 'Request 2 GPUs per node instead']);
    const fix = idle.fixes[0]!;
    assert.equal(fix.otherFiles![0]!.uri, fileUri(path.join(dir, 'configs', 'accelerate.yaml')));
    assert.deepEqual(fix.otherFiles![0]!.expected, ['2']);
    const open = applyOther(dir, fix);
    assert.match(open['configs/accelerate.yaml']!, /^num_processes: 8$/m);
    assert.deepEqual(findingsOf(graphFor('accelerate-deepspeed', open).graph, script).map((f) => f.ruleId), []);
  });
});
