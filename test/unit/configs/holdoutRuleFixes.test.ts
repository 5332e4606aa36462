/**
 * GA601 and GA603 in configs as the blind hold-out (test/fixtures/configs-holdout/) judged them: GA601 on the offending
 * `max_epochs: -1` key at information, in a single file and in a Hydra job; GA603 relative to `max_steps` when the run's
 * length is known, with the absolute floor only when it is not.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { defaultSettings } from '../../../shared/src/settings';
import { analyzeConfig } from '../../../server/src/analysis/configEngine';
import { graphOf, schedulerCandidates } from '../../../server/src/jobs/discover';
import { fileUri } from '../../../server/src/jobs/graph';
import { diskReader, overlayReader } from '../../../server/src/jobs/reader';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');

function findings(text: string, rule: string, name = 'config.yaml') {
  return analyzeConfig(text, `file:///work/${name}`, 'yaml', defaultSettings()).findings.filter((f) => f.ruleId === rule);
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle));

describe('GA601 (config): anchored on the key to change', () => {
  const trainer = ['trainer:', '  accelerator: gpu', '  devices: 4', '  precision: bf16-mixed'];

  it('max_epochs: -1 is reported on that key, at information', () => {
    const text = [...trainer, '  max_epochs: -1', 'model:', '  lr: 0.001', ''].join('\n');
    const found = findings(text, 'GA601');
    assert.equal(found.length, 1);
    assert.equal(found[0]!.range.start.line, lineOf(text, 'max_epochs'));
    assert.equal(text.split('\n')[found[0]!.range.start.line]!.slice(found[0]!.range.start.character, found[0]!.range.end.character), 'max_epochs: -1');
    assert.equal(found[0]!.severity, 'information');
    assert.match(found[0]!.message, /max_epochs: -1/);
  });

  it('no budget key at all stays a warning on `trainer:` (the context line)', () => {
    const text = [...trainer, 'model:', '  lr: 0.001', ''].join('\n');
    const found = findings(text, 'GA601');
    assert.equal(found.length, 1);
    assert.equal(found[0]!.range.start.line, 0);
    assert.equal(found[0]!.severity, 'warning');
  });

  it('a Hydra job whose composed trainer has max_epochs: -1: on that key of the file, at information', () => {
    const dir = path.join(FIXTURES, 'jobs', 'hydra-lightning');
    const config = path.join(dir, 'conf', 'config.yaml');
    const text = diskReader.read(config)!.replace('  log_every_n_steps: 50\n', '  log_every_n_steps: 50\n  max_epochs: -1\n');
    const reader = overlayReader((file) => (file === config ? text : undefined));
    const graph = graphOf(schedulerCandidates(dir), reader, [dir]);
    const found = analyzeConfig(text, fileUri(config), 'yaml', defaultSettings(), undefined, graph.viewOf(config)).findings.filter((f) => f.ruleId === 'GA601');
    assert.equal(found.length, 1);
    assert.equal(found[0]!.range.start.line, lineOf(text, 'max_epochs'));
    assert.equal(found[0]!.severity, 'information');
    // Without the -1 the same job gets the warning on `trainer:` with the --time quick fix (graph.test.ts): unchanged.
    const plain = analyzeConfig(diskReader.read(config)!, fileUri(config), 'yaml', defaultSettings(), undefined, graphOf(schedulerCandidates(dir), diskReader, [dir]).viewOf(config)).findings.find((f) => f.ruleId === 'GA601');
    assert.equal(plain?.severity, 'warning');
    assert.equal(plain?.range.start.line, 0);
    assert.match(plain?.fixes[0]?.title ?? '', /^Add max_time/);
  });
});

describe('GA603 (config): eval_steps/save_steps relative to a known run length', () => {
  const args = (lines: string[]) => ['output_dir: out', 'per_device_train_batch_size: 32', 'bf16: true', 'dataloader_num_workers: 4', ...lines, ''].join('\n');

  it('every 20 of 60 steps (3 evaluations) is not flagged, though under the absolute floor of 50', () => {
    assert.deepEqual(findings(args(['max_steps: 60', 'eval_strategy: steps', 'eval_steps: 20', 'save_strategy: steps', 'save_steps: 30']), 'GA603'), []);
  });

  it('under 1% of max_steps: flagged, saying how many evaluations the run makes; the fix spaces them 5% apart', () => {
    const text = args(['max_steps: 20000', 'eval_strategy: steps', 'eval_steps: 100', 'save_strategy: "no"']);
    const found = findings(text, 'GA603');
    assert.equal(found.length, 1);
    assert.equal(found[0]!.range.start.line, lineOf(text, 'eval_steps'));
    assert.match(found[0]!.message, /make the Trainer evaluate every 100 steps \(200 evaluations in a 20000-step run\)/);
    assert.equal(found[0]!.fixes[0]?.title, 'Set eval_steps: 1000 (20 times per run)');
  });

  it('save_steps the same way: 1% of a known length, the absolute floor only without one', () => {
    assert.deepEqual(findings(args(['max_steps: 400', 'save_strategy: steps', 'save_steps: 10']), 'GA603'), [], '40 checkpoints in 400 steps is 2.5% apart');
    const unknown = findings(args(['num_train_epochs: 3', 'save_strategy: steps', 'save_steps: 10']), 'GA603');
    assert.equal(unknown.length, 1);
    assert.match(unknown[0]!.message, /save a checkpoint every 10 steps:/);
    const negative = findings(args(['max_steps: -1', 'eval_strategy: steps', 'eval_steps: 20']), 'GA603');
    assert.equal(negative.length, 1, 'max_steps: -1 is no known length');
  });
});
