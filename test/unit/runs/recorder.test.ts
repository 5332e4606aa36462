import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunRecorder, runTimestamp, slugOf } from '../../../shared/src/runs/recorder';
import { RunHeaderSchema, RunRecordSchema } from '../../../shared/src/runs/schema';
import { T0, header, standardSamples } from './synthetic';

describe('runs: recorder', () => {
  it('names folders by UTC time and a file-system-safe label', () => {
    assert.equal(runTimestamp(new Date('2026-11-26T01:53:00.123Z')), '20261126T015300Z');
    assert.equal(slugOf('train bert / lr=3e-4'), 'train-bert-lr-3e-4');
    assert.equal(slugOf('../..'), 'run');
    assert.equal(slugOf('x'.repeat(100)).length, 48);
  });

  it('writes the header first, appends samples, adds a suffix when the folder exists, and writes run.json at the end', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'green-ai-rec-'));
    const { id: _id, ...base } = header();
    const first = await RunRecorder.create(root, base, 'test');
    const second = await RunRecorder.create(root, base, 'test');
    assert.equal(path.basename(first.dir), '20260102T030000Z-test');
    assert.equal(path.basename(second.dir), '20260102T030000Z-test-2');
    assert.equal(RunHeaderSchema.parse(JSON.parse(readFileSync(path.join(first.dir, 'run.partial.json'), 'utf8'))).id, '20260102T030000Z-test');

    for (const line of standardSamples()) first.append(line);
    // Before finish, what is on disk is whole lines (a reader could finalise it now).
    assert.equal(readFileSync(path.join(first.dir, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).length, 5);
    await first.updateHeader({ jobPid: 4242 });
    assert.equal(RunHeaderSchema.parse(JSON.parse(readFileSync(path.join(first.dir, 'run.partial.json'), 'utf8'))).jobPid, 4242);
    const result = await first.finish({ endedAt: new Date(T0 + 3500).toISOString(), exitCode: 1, status: 'failed' });
    assert.ok(result.ok);
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(path.join(first.dir, 'run.json'), 'utf8')));
    assert.equal(record.status, 'failed');
    assert.equal(record.finalizedBy, 'recorder');
    assert.equal(record.energy.energyJ, 875);
    assert.deepEqual(readdirSync(first.dir).sort(), ['run.json', 'run.partial.json', 'samples.jsonl'], 'no temp file left behind');
    assert.equal(existsSync(path.join(second.dir, 'run.json')), false);
  });
});
