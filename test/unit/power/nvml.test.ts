import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadKoffi, probeNvml } from '../../../shared/src/power/nvml';
import type { PowerSource } from '../../../shared/src/power/source';
import { FIXTURES, tempDir } from './helpers';

const GCC = ['/usr/bin/gcc', '/usr/local/bin/gcc'].find((candidate) => existsSync(candidate));
const H100 = 'GPU-11111111-2222-3333-4444-555555555555';
const A100 = 'GPU-66666666-7777-8888-9999-000000000000';

describe('power/nvml (fake libnvidia-ml compiled with gcc)', function () {
  let work: ReturnType<typeof tempDir>;
  let library = '';
  let source: PowerSource | undefined;

  before(function () {
    if (!GCC || process.platform !== 'linux') {
      console.log(`      skipped: ${GCC ? 'the fake libnvidia-ml is built as a Linux shared object' : 'gcc not found, so the fake libnvidia-ml cannot be built'}`);
      this.skip();
    }
    const koffi = loadKoffi();
    if (typeof koffi === 'string') {
      console.log(`      skipped: ${koffi}`);
      this.skip();
    }
    work = tempDir('green-ai-nvml-');
    library = path.join(work.dir, 'libnvidia-ml.so.1');
    execFileSync(GCC as string, ['-shared', '-fPIC', '-O1', '-o', library, path.join(FIXTURES, 'fake-nvml.c')]);
  });
  after(async () => {
    await source?.stop();
    work?.remove();
  });

  it('reads the energy counter exactly, falls back to power usage, and marks MIG as shared', async () => {
    const probe = await probeNvml(library, 1000, {}, 0);
    assert.ok(probe.ok, probe.ok ? '' : probe.reason);
    source = probe.source;
    const first = source.read(1000);
    const h100 = first.find((reading) => reading.id === `gpu:${H100}`);
    const a100 = first.find((reading) => reading.id === `gpu:${A100}`);
    // The fake counter rises 100 J per read: 100 J over 1 s.
    assert.equal(h100?.method, 'nvml-energy-counter');
    assert.equal(h100?.name, 'NVIDIA H100 80GB HBM3 (GPU 0)');
    assert.equal(h100?.watts, 100);
    assert.equal(h100?.energyJ, 100);
    assert.equal(h100?.utilizationPercent, 87);
    assert.equal(h100?.memoryTotalMiB, 80 * 1024);
    assert.equal(h100?.powerLimitW, 700);
    assert.equal(a100?.method, 'nvml-power');
    assert.equal(a100?.watts, 150);
    assert.equal(a100?.shared, true);
    const second = source.read(2000);
    assert.equal(second.find((reading) => reading.id === `gpu:${H100}`)?.energyJ, 200);
    assert.equal(second.find((reading) => reading.id === `gpu:${A100}`)?.energyJ, 300); // trapezoids of 150 W over 0–1 s and 1–2 s
    assert.ok(source.describe().some((line) => line.includes('MIG mode: board power, shared')));
  });

  it('respects CUDA_VISIBLE_DEVICES', async () => {
    const probe = await probeNvml(library, 1000, { CUDA_VISIBLE_DEVICES: '1' }, 0);
    assert.ok(probe.ok);
    const ids = probe.source.read(1000).map((reading) => reading.id);
    await probe.source.stop();
    assert.deepEqual(ids, [`gpu:${A100}`]);
  });

  it('reports a library that does not load as a skipped source', async () => {
    const probe = await probeNvml(path.join(work.dir, 'libmissing.so'), 1000, {}, 0);
    assert.equal(probe.ok, false);
    assert.match(probe.ok ? '' : probe.reason, /not loaded/);
  });
});
