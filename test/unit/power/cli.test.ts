import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { powerCommand } from '../../../server/src/cli/power';
import { fakeNvidiaSmi, tempDir, waitFor, writePowercap } from './helpers';

describe('green-ai power', () => {
  let work: ReturnType<typeof tempDir>;
  beforeEach(() => {
    work = tempDir('green-ai-power-cli-');
  });
  afterEach(() => work.remove());

  it('prints one JSON object per sample with carbon so far, and stops its nvidia-smi child on abort', async () => {
    writePowercap(work.dir, { 'intel-rapl:0': { name: 'package-0', energyUj: 0, maxRangeUj: 1e12 } });
    const out: string[] = [];
    const err: string[] = [];
    const stop = new AbortController();
    const previous = process.env.FAKE_NVSMI_LOG;
    process.env.FAKE_NVSMI_LOG = path.join(work.dir, 'log');
    try {
      const run = powerCommand(
        ['--json', '--interval-ms', '50', '--location', 'FR', '--nvidia-smi', fakeNvidiaSmi(), '--nvml-library', 'none', '--powercap-root', work.dir],
        { stdout: (text) => out.push(text), stderr: (text) => err.push(text) },
        stop.signal,
      );
      await waitFor('three samples', () => (out.length >= 3 ? true : undefined));
      stop.abort();
      assert.equal(await run, 0);
      const pids = readFileSync(path.join(work.dir, 'log'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { pid: number }).pid);
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `nvidia-smi child ${pid} still running`);
    } finally {
      if (previous === undefined) delete process.env.FAKE_NVSMI_LOG;
      else process.env.FAKE_NVSMI_LOG = previous;
    }
    const sample = JSON.parse(out[2] ?? '{}') as { totalWatts: number; components: { kind: string }[]; carbon: { ok: boolean; locationKey: string } };
    assert.equal(sample.carbon.ok, true);
    assert.equal(sample.carbon.locationKey, 'FR');
    assert.ok(sample.components.some((component) => component.kind === 'gpu'));
    assert.ok(err.join('').includes('nvidia-smi power.draw.average'));
  });

  it('prints text lines with per-component sources and honours --duration', async () => {
    const out: string[] = [];
    const code = await powerCommand(['--duration', '0.3', '--interval-ms', '50', '--nvidia-smi', path.join(work.dir, 'none'), '--nvml-library', 'none', '--powercap-root', work.dir], {
      stdout: (text) => out.push(text),
      stderr: () => undefined,
    });
    assert.equal(code, 0);
    const text = out.join('');
    assert.match(text, /^# skipped: nvidia-smi/m);
    assert.match(text, /total [\d.]+ W {2}energy .* CO2e/);
    assert.match(text, /CPU \(estimated\) [\d.]+ W \(estimated from load/);
  });

  it('rejects an unknown location and a bad interval with exit 2', async () => {
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (text: string) => err.push(text) };
    assert.equal(await powerCommand(['--location', 'Atlantis', '--duration', '0'], io), 2);
    assert.equal(await powerCommand(['--interval-ms', '1'], io), 2);
    assert.match(err.join(''), /Atlantis/);
    assert.match(err.join(''), /--interval-ms expects a number ≥ 10/);
  });
});
