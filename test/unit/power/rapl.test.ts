import { strict as assert } from 'node:assert';
import { probeRapl, selectZones } from '../../../shared/src/power/rapl';
import { setEnergy, tempDir, writePowercap } from './helpers';

describe('power/rapl', () => {
  let tree: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tree = tempDir('green-ai-powercap-');
  });
  afterEach(() => tree.remove());

  it('chooses package and dram zones by name, never nested core/uncore, psys, or the mmio duplicate', () => {
    writePowercap(tree.dir, {
      'intel-rapl:0': { name: 'package-0', energyUj: 1000, maxRangeUj: 262143328850 },
      'intel-rapl:0:0': { name: 'core', energyUj: 500, maxRangeUj: 262143328850 },
      'intel-rapl:0:1': { name: 'uncore', energyUj: 100, maxRangeUj: 262143328850 },
      'intel-rapl:0:2': { name: 'dram', energyUj: 300, maxRangeUj: 65712999613 },
      'intel-rapl:1': { name: 'psys', energyUj: 9000, maxRangeUj: 262143328850 },
      'intel-rapl-mmio:0': { name: 'package-0', energyUj: 1000, maxRangeUj: 262143328850 },
    });
    const { zones, skipped } = selectZones(tree.dir);
    assert.deepEqual(
      zones.map((zone) => [zone.zone, zone.id, zone.kind]),
      [
        ['intel-rapl:0', 'cpu:package-0', 'cpu'],
        ['intel-rapl:0:2', 'ram:dram-0', 'ram'],
      ],
    );
    assert.ok(skipped.some((line) => line.startsWith('intel-rapl-mmio:0') && line.includes('duplicate')));
    assert.ok(skipped.some((line) => line.startsWith('intel-rapl:0:0') && line.includes('nested')));
    assert.ok(skipped.some((line) => line.startsWith('intel-rapl:1') && line.includes('psys')));
  });

  it('integrates counter differences per zone and corrects a wrap-around', () => {
    writePowercap(tree.dir, {
      'intel-rapl:0': { name: 'package-0', energyUj: 999_000_000, maxRangeUj: 1_000_000_000 },
      'intel-rapl:0:2': { name: 'dram', energyUj: 0, maxRangeUj: 1_000_000_000 },
    });
    const probe = probeRapl(tree.dir, 1000, 0);
    assert.ok(probe.ok);
    setEnergy(tree.dir, 'intel-rapl:0', 49_000_000); // wrapped: 1 J before the wrap + 49 J after
    setEnergy(tree.dir, 'intel-rapl:0:2', 5_000_000);
    const readings = probe.source.read(1000);
    const cpu = readings.find((reading) => reading.id === 'cpu:package-0');
    const ram = readings.find((reading) => reading.id === 'ram:dram-0');
    assert.equal(cpu?.method, 'rapl');
    assert.ok(Math.abs((cpu?.energyJ ?? 0) - 50) < 1e-9);
    assert.ok(Math.abs((cpu?.watts ?? 0) - 50) < 1e-9);
    assert.ok(cpu?.warnings?.some((warning) => warning.includes('wrapped')));
    assert.equal(ram?.kind, 'ram');
    assert.ok(Math.abs((ram?.watts ?? 0) - 5) < 1e-9);
  });

  it('fails with the one-line fix when energy_uj is not readable (a directory here, so root cannot read it either)', () => {
    writePowercap(tree.dir, { 'intel-rapl:0': { name: 'package-0', unreadable: true, maxRangeUj: 1000 } });
    const probe = probeRapl(tree.dir, 1000, 0);
    assert.equal(probe.ok, false);
    assert.match(probe.ok ? '' : probe.reason, /energy_uj not readable \(intel-rapl:0\): sudo chmod a\+r .*intel-rapl:\*\/energy_uj/);
  });

  it('fails plainly where there is no powercap tree', () => {
    const probe = probeRapl(`${tree.dir}/missing`, 1000, 0);
    assert.equal(probe.ok, false);
    assert.match(probe.ok ? '' : probe.reason, /no powercap tree/);
  });
});
