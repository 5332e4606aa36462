import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCudaVisibleDevices, visibleGpus } from '../../../shared/src/power/cudaVisible';
import { offeredFields, parseSmiLine, probeNvidiaSmi, queryFields } from '../../../shared/src/power/nvidiaSmi';
import type { PowerSource } from '../../../shared/src/power/source';
import { fakeNvidiaSmi, FIXTURES, tempDir, waitFor } from './helpers';

const H100 = 'GPU-11111111-2222-3333-4444-555555555555';
const A100 = 'GPU-66666666-7777-8888-9999-000000000000';

describe('power/nvidiaSmi', () => {
  it('finds the power fields the driver offers, best first', () => {
    const modern = offeredFields(readFileSync(path.join(FIXTURES, 'help-query-gpu.txt'), 'utf8'));
    assert.deepEqual(modern, { power: ['power.draw.average', 'power.draw.instant', 'power.draw'], mig: true, powerLimit: true });
    const old = offeredFields(readFileSync(path.join(FIXTURES, 'help-query-gpu-old.txt'), 'utf8'));
    assert.deepEqual(old, { power: ['power.draw'], mig: false, powerLimit: true });
    assert.deepEqual(offeredFields('"power.draw.instant"\n"index"').power, ['power.draw.instant']);
  });

  it('parses rows, with [N/A] and [Not Supported] as no value, each row using the best power field with a value', () => {
    const fields = queryFields(['power.draw.average', 'power.draw.instant'], { mig: true, powerLimit: true });
    const row = parseSmiLine(`1, ${A100}, NVIDIA A100-SXM4-40GB, [N/A], [N/A], 10, 1000, 40960, [Not Supported], Enabled`, fields);
    assert.equal(row?.watts, null);
    assert.equal(row?.powerLimitW, null);
    assert.equal(row?.migEnabled, true);
    assert.equal(row?.memoryTotalMiB, 40960);
    assert.equal(parseSmiLine('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.', fields), undefined);
    const fallback = parseSmiLine(`1, ${A100}, NVIDIA A100-SXM4-40GB, [N/A], 98.25, 10, 1000, 40960, 400, Enabled`, fields);
    assert.equal(fallback?.watts, 98.25);
    assert.equal(fallback?.powerField, 'power.draw.instant');
    const comma = parseSmiLine(`0, ${H100}, Tesla, Special, 300.5, 301, 95, 1, 2, 700, Disabled`, fields);
    assert.equal(comma?.name, 'Tesla, Special');
    assert.equal(comma?.watts, 300.5);
    assert.equal(comma?.powerField, 'power.draw.average');
  });

  it('follows CUDA_VISIBLE_DEVICES by index, UUID prefix and MIG instance, stopping at an invalid entry', () => {
    const gpus = [
      { index: 0, uuid: H100, migEnabled: false },
      { index: 1, uuid: A100, migEnabled: true },
    ];
    assert.deepEqual(visibleGpus(gpus, parseCudaVisibleDevices(undefined)).gpus.map((gpu) => gpu.index), [0, 1]);
    assert.deepEqual(visibleGpus(gpus, parseCudaVisibleDevices('1')).gpus.map((gpu) => gpu.index), [1]);
    assert.deepEqual(visibleGpus(gpus, parseCudaVisibleDevices('GPU-6666')).gpus.map((gpu) => gpu.index), [1]);
    assert.deepEqual(visibleGpus(gpus, parseCudaVisibleDevices('0,bogus,1')).gpus.map((gpu) => gpu.index), [0]);
    assert.deepEqual(visibleGpus(gpus, parseCudaVisibleDevices('')).gpus, []);
    const mig = visibleGpus(gpus, parseCudaVisibleDevices('MIG-abcdef12-3456-7890-abcd-ef1234567890'));
    assert.deepEqual(mig.gpus.map((gpu) => gpu.index), [1]);
    assert.ok(mig.notes.some((note) => note.includes('shared')));
  });

  describe('with the fake nvidia-smi', () => {
    let work: ReturnType<typeof tempDir>;
    let source: PowerSource | undefined;
    beforeEach(() => {
      work = tempDir('green-ai-smi-');
    });
    afterEach(async () => {
      await source?.stop();
      source = undefined;
      work.remove();
    });

    it('keeps ONE child, integrates power, marks MIG as shared, and restarts a crashed child with backoff', async () => {
      const log = path.join(work.dir, 'invocations.log');
      const probe = await probeNvidiaSmi({
        binary: fakeNvidiaSmi(),
        periodMs: 50,
        env: { ...process.env, FAKE_NVSMI_LOG: log },
        backoff: { initial: 20, max: 100 },
      });
      assert.ok(probe.ok, probe.ok ? '' : probe.reason);
      source = probe.source;
      const invocations = () => readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { args: string[] });
      // The stream crashes after three batches; the restart (second invocation) reports 200 W on GPU 0.
      const after = await waitFor('the restarted nvidia-smi', () => {
        const h100 = source?.read(performance.now()).find((reading) => reading.id === `gpu:${H100}`);
        return invocations().length >= 2 && h100?.watts === 200 ? h100 : undefined;
      });
      assert.equal(after.method, 'nvidia-smi');
      assert.match(after.source, /power\.draw\.average/);
      assert.ok(after.warnings?.some((warning) => /restarted 1 time\(s\); last exit 1: fake nvidia-smi: simulated crash 1/.test(warning)));
      assert.ok(after.energyJ > 0);
      const first = invocations()[0]?.args ?? [];
      assert.deepEqual(first.slice(1), ['--format=csv,noheader,nounits', '-lms', '50']);
      assert.equal(first[0], '--query-gpu=index,uuid,name,power.draw.average,power.draw.instant,power.draw,utilization.gpu,memory.used,memory.total,power.limit,mig.mode.current');
      const a100 = source.read(performance.now()).find((reading) => reading.id === `gpu:${A100}`);
      assert.equal(a100?.shared, true);
      assert.match(a100?.source ?? '', /^nvidia-smi power\.draw\.instant, 50 ms \(board power, shared\)$/);
      assert.equal(a100?.watts, 100);
      // Still one child after many more rows (≥ 5 × 200 W × 50 ms): only the crash added a start.
      const before = invocations().length;
      const energyBefore = after.energyJ;
      const h100Energy = () => source?.read(performance.now()).find((reading) => reading.id === `gpu:${H100}`)?.energyJ ?? 0;
      await waitFor('five more rows', () => (h100Energy() >= energyBefore + 50 ? true : undefined));
      assert.equal(invocations().length, before);
    });

    it('reports a missing binary as a skipped source', async () => {
      const probe = await probeNvidiaSmi({ binary: path.join(work.dir, 'no-such-nvidia-smi'), periodMs: 100, env: process.env, backoff: { initial: 10, max: 10 } });
      assert.equal(probe.ok, false);
      assert.match(probe.ok ? '' : probe.reason, /not found/);
    });

    it('hides GPUs that CUDA_VISIBLE_DEVICES hides', async () => {
      const probe = await probeNvidiaSmi({ binary: fakeNvidiaSmi(), periodMs: 50, env: { ...process.env, CUDA_VISIBLE_DEVICES: H100 }, backoff: { initial: 1000, max: 1000 } });
      assert.ok(probe.ok);
      source = probe.source;
      const ids = await waitFor('a reading', () => {
        const readings = source?.read(performance.now()) ?? [];
        return readings.length > 0 ? readings.map((reading) => reading.id) : undefined;
      });
      assert.deepEqual(ids, [`gpu:${H100}`]);
    });
  });
});
