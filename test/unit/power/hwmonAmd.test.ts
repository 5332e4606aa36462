import { strict as assert } from 'node:assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { probeAmdHwmon } from '../../../shared/src/power/hwmonAmd';
import { tempDir } from './helpers';

function writeCard(root: string, card: string, hwmonName: string, microwatts: number | undefined, extra: Record<string, string> = {}): string {
  const device = path.join(root, card, 'device');
  const hwmon = path.join(device, 'hwmon', 'hwmon3');
  mkdirSync(hwmon, { recursive: true });
  writeFileSync(path.join(hwmon, 'name'), `${hwmonName}\n`);
  if (microwatts !== undefined) writeFileSync(path.join(hwmon, 'power1_average'), `${microwatts}\n`);
  for (const [file, text] of Object.entries(extra)) writeFileSync(path.join(device, file), `${text}\n`);
  return path.join(hwmon, 'power1_average');
}

describe('power/hwmonAmd', () => {
  let drm: ReturnType<typeof tempDir>;
  beforeEach(() => {
    drm = tempDir('green-ai-drm-');
  });
  afterEach(() => drm.remove());

  it('reads amdgpu power1_average (µW), ignores other drivers and connectors, and integrates by trapezoids', () => {
    const file = writeCard(drm.dir, 'card0', 'amdgpu', 250_000_000, { unique_id: 'abc123', product_name: 'AMD Instinct MI210' });
    writeCard(drm.dir, 'card1', 'nouveau', 10_000_000);
    mkdirSync(path.join(drm.dir, 'card0-DP-1'));
    const probe = probeAmdHwmon(drm.dir, 1000);
    assert.ok(probe.ok, probe.ok ? '' : probe.reason);
    const first = probe.source.read(0);
    assert.deepEqual(
      first.map((reading) => [reading.id, reading.name, reading.method, reading.watts]),
      [['gpu:amd-abc123', 'AMD Instinct MI210 (card0)', 'amd-hwmon', 250]],
    );
    writeFileSync(file, '350000000\n');
    assert.equal(probe.source.read(1000)[0]?.energyJ, 300);
    rmSync(file);
    const gone = probe.source.read(2000)[0];
    assert.equal(gone?.watts, null);
    assert.ok(gone?.warnings?.some((warning) => warning.includes('could not be read')));
  });

  it('skips machines without an amdgpu power file', () => {
    writeCard(drm.dir, 'card0', 'amdgpu', undefined);
    const probe = probeAmdHwmon(drm.dir, 1000);
    assert.equal(probe.ok, false);
  });
});
