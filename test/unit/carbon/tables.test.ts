import assert from 'node:assert/strict';
import {
  DEFAULT_KEYS,
  PRECISIONS,
  RAW_TABLES,
  TABLE_FILES,
  applyOverrides,
  compactName,
  loadTables,
  parseTables,
  resolveGpu,
  resolveLocation,
  type TableName,
  type Tables,
} from '../../../shared/src/carbon/index';

function shipped(): Tables {
  const loaded = loadTables();
  if (!loaded.ok) assert.fail(loaded.problems.map((p) => p.message).join('\n'));
  return loaded.value;
}

function rawCopy(): Record<TableName, unknown> {
  return structuredClone(RAW_TABLES);
}

describe('carbon tables', () => {
  it('every shipped table parses and passes the cross-row checks', () => {
    const result = parseTables(RAW_TABLES);
    assert.equal(result.ok, true, result.ok ? '' : result.problems.map((p) => p.message).join('\n'));
  });

  it('every row names a source (title and https URL) and a year', () => {
    const tables = shipped();
    const check = (where: string, source: { title: string; url?: string | undefined }, year: number | null) => {
      assert.ok(source.title.length > 3, `${where}: source title`);
      assert.match(source.url ?? '', /^https:\/\//, `${where}: source url`);
      assert.ok(year !== null && year >= 2000 && year <= 2026, `${where}: year ${year}`);
    };
    for (const row of tables.gpus.rows) {
      check(`gpus ${row.id}`, row.source, row.year);
      if (row.embodiedKgCO2e) check(`gpus ${row.id} embodied`, row.embodiedKgCO2e.source, row.embodiedKgCO2e.year);
    }
    for (const row of tables.cpus.rows) check(`cpus ${row.id}`, row.source, row.year);
    for (const row of tables.countries.rows) check(`countries ${row.code}`, row.source, row.year);
    for (const row of tables.cloudRegions.rows) check(`regions ${row.provider}:${row.region}`, row.source, row.year);
    for (const row of tables.providers.rows) {
      check(`providers ${row.provider} pue`, row.pue.source, row.pue.year);
      if (row.wue) check(`providers ${row.provider} wue`, row.wue.source, row.wue.year);
    }
    for (const row of tables.defaults.rows) check(`defaults ${row.key}`, row.source, row.year);
    for (const row of tables.mfu.rows) check(`mfu ${row.precision}/${row.generation}`, row.source, row.year);
    for (const row of tables.visionModels.rows) check(`vision ${row.id}`, row.source, row.year);
    for (const row of tables.equivalents.rows) check(`equivalents ${row.id}`, row.source, row.year);
  });

  it('holds every default key once and a generic MFU row per precision', () => {
    const tables = shipped();
    for (const key of DEFAULT_KEYS) assert.equal(tables.defaults.rows.filter((r) => r.key === key).length, 1, key);
    for (const p of PRECISIONS) assert.ok(tables.mfu.rows.some((r) => r.precision === p && r.generation === '*'), p);
  });

  it('covers the accelerators the issue lists', () => {
    const names = [
      'V100-PCIe-16GB', 'V100-PCIe-32GB', 'V100-SXM2-16GB', 'V100-SXM2-32GB',
      'A100-PCIe-40GB', 'A100-PCIe-80GB', 'A100-SXM4-40GB', 'A100-SXM4-80GB',
      'H100 PCIe', 'H100 SXM', 'H100 NVL', 'H200', 'B200', 'L4', 'L40S', 'A10G', 'T4',
      'RTX 3090', 'RTX 4090', 'MI250X', 'MI300X', 'TPU v3', 'TPU v4', 'TPU v5e', 'Apple M1', 'Apple M2 Max',
    ];
    for (const name of names) assert.equal(resolveGpu(name).ok, true, name);
  });

  it('resolves every id and alias to its own row, and nothing else to two rows', () => {
    const tables = shipped();
    const owners = new Map<string, string>();
    for (const row of tables.gpus.rows) {
      for (const name of [row.id, ...row.aliases]) {
        const resolved = resolveGpu(name);
        assert.ok(resolved.ok, name);
        assert.equal(resolved.value.gpu.id, row.id, `${name} → ${resolved.value.gpu.id}, expected ${row.id}`);
        const key = compactName(name);
        assert.ok(!owners.has(key) || owners.get(key) === row.id, `${name} is ambiguous`);
        owners.set(key, row.id);
      }
    }
  });

  it('resolves the names nvidia-smi, rocm-smi and people write', () => {
    const cases: Array<[string, string]> = [
      ['NVIDIA A100-SXM4-80GB', 'a100-sxm4-80gb'],
      ['NVIDIA A100-SXM4-40GB', 'a100-sxm4-40gb'],
      ['NVIDIA A100-PCIE-40GB', 'a100-pcie-40gb'],
      ['NVIDIA A100 80GB PCIe', 'a100-pcie-80gb'],
      ['a100-sxm4-80gb', 'a100-sxm4-80gb'],
      ['Tesla V100-SXM2-16GB', 'v100-sxm2-16gb'],
      ['Tesla V100-PCIE-32GB', 'v100-pcie-32gb'],
      ['NVIDIA H100 80GB HBM3', 'h100-sxm'],
      ['NVIDIA H100 PCIe', 'h100-pcie'],
      ['NVIDIA H100 NVL', 'h100-nvl'],
      ['NVIDIA H200', 'h200-sxm'],
      ['NVIDIA L4', 'l4'],
      ['NVIDIA A10G', 'a10g'],
      ['Tesla T4', 't4'],
      ['NVIDIA GeForce RTX 3090', 'rtx-3090'],
      ['NVIDIA GeForce RTX 4090', 'rtx-4090'],
      ['AMD Instinct MI300X', 'mi300x'],
      ['tpu-v4', 'tpu-v4'],
    ];
    for (const [name, id] of cases) {
      const resolved = resolveGpu(name);
      assert.ok(resolved.ok, name);
      assert.equal(resolved.value.gpu.id, id, name);
      assert.equal(resolved.value.note, undefined, `${name} should not be ambiguous`);
    }
  });

  it('resolves ambiguous family names to the documented default and says so', () => {
    const tables = shipped();
    for (const [family, { default: target }] of Object.entries(tables.gpus.families)) {
      const resolved = resolveGpu(family);
      assert.ok(resolved.ok, family);
      assert.equal(resolved.value.gpu.id, target);
      assert.equal(resolved.value.matchedBy, 'family');
      assert.match(resolved.value.note ?? '', /ambiguous; assuming/);
    }
    const a100 = resolveGpu('A100');
    assert.ok(a100.ok);
    assert.equal(a100.value.gpu.id, 'a100-sxm4-80gb');
    assert.match(a100.value.note ?? '', /a100-pcie-40gb/);
  });

  it('resolves countries by code, name and alias, and cloud regions of the three providers', () => {
    for (const [query, key] of [['FR', 'FR'], ['France', 'FR'], ['usa', 'US'], ['United Kingdom', 'GB'], ['uk', 'GB']] as const) {
      const r = resolveLocation({ country: query });
      assert.ok(r.ok, query);
      assert.equal(r.value.key, key);
    }
    for (const [provider, region] of [['aws', 'us-east-1'], ['AWS', 'eu-west-3'], ['gcp', 'europe-west4'], ['google', 'us-central1'], ['azure', 'westeurope'], ['Azure', 'West Europe']] as const) {
      const r = resolveLocation({ cloudRegion: { provider, region } });
      assert.ok(r.ok, `${provider}:${region}`);
      assert.equal(r.value.kind, 'cloud-region');
      assert.ok(r.value.provider);
    }
    const s = resolveLocation('aws:us-east-1');
    assert.ok(s.ok);
    assert.equal(s.value.key, 'aws:us-east-1');
    const bare = resolveLocation('us-east-1');
    assert.ok(bare.ok);
    assert.equal(bare.value.key, 'aws:us-east-1');
  });

  it('reports a broken row naming the table file, the row and the key', () => {
    const raw = rawCopy();
    const gpus = raw.gpus as { rows: Array<Record<string, unknown>> };
    const index = gpus.rows.findIndex((row) => row.id === 'a100-sxm4-80gb');
    gpus.rows[index] = { ...gpus.rows[index], tdpW: '400 W' };
    const result = parseTables(raw);
    assert.equal(result.ok, false);
    if (result.ok) return;
    const message = result.problems.map((p) => p.message).join('\n');
    assert.match(message, /shared\/data\/gpus\.json/);
    assert.match(message, new RegExp(`row ${index} \\(a100-sxm4-80gb\\)`));
    assert.match(message, /tdpW/);
    assert.equal(result.problems[0]?.code, 'invalid-table');
  });

  it('reports a missing source, a duplicate alias and a missing default, never falling back', () => {
    const noSource = rawCopy();
    delete (noSource.countries as { rows: Array<Record<string, unknown>> }).rows[2]?.source;
    const a = parseTables(noSource);
    assert.ok(!a.ok);
    assert.match(a.problems[0]?.message ?? '', /grid-countries\.json: row 2 \(\w+\) rows\[2\]\.source/);

    const duplicate = rawCopy();
    (duplicate.gpus as { rows: Array<{ aliases: string[] }> }).rows[0]?.aliases.push('NVIDIA H100 80GB HBM3');
    const b = parseTables(duplicate);
    assert.ok(!b.ok);
    assert.match(b.problems.map((p) => p.message).join('\n'), /name "h100-80gb-hbm3" of h100-sxm also names v100-sxm2-16gb/);

    const missing = rawCopy();
    const defaults = missing.defaults as { rows: Array<{ key: string }> };
    defaults.rows = defaults.rows.filter((row) => row.key !== 'ewif');
    const c = parseTables(missing);
    assert.ok(!c.ok);
    assert.match(c.problems.map((p) => p.message).join('\n'), /model-defaults\.json: expected exactly one row for "ewif", found 0/);
  });

  it('lists every table file it validates', () => {
    for (const name of Object.keys(RAW_TABLES) as TableName[]) assert.match(TABLE_FILES[name], /^shared\/data\/[a-z-]+\.json$/);
  });

  it('rejects malformed overrides with the key path', () => {
    const tables = shipped();
    const bad = applyOverrides(tables, { providers: { aws: { pue: 0.5 } } });
    assert.ok(!bad.ok);
    assert.match(bad.problems[0]?.message ?? '', /^overrides\.providers\.aws\.pue: /);
    const unknownKey = applyOverrides(tables, { defaults: { notAKey: 3 } });
    assert.ok(!unknownKey.ok);
    assert.match(unknownKey.problems[0]?.message ?? '', /^overrides\.defaults/);
    const newGpu = applyOverrides(tables, { gpus: [{ id: 'my-npu' }] });
    assert.ok(!newGpu.ok);
    assert.match(newGpu.problems[0]?.message ?? '', /overrides\.gpus\[0\]: "my-npu" is not a known GPU/);
    const badProvider = applyOverrides(tables, { providers: { oracle: { pue: 1.2 } } });
    assert.ok(!badProvider.ok);
    assert.match(badProvider.problems[0]?.message ?? '', /unknown provider "oracle"/);
  });

  it('does not modify the shipped tables when applying overrides', () => {
    const tables = shipped();
    const before = JSON.stringify(tables);
    const patched = applyOverrides(tables, { countries: { FR: 1 }, gpus: [{ id: 'A100', tdpW: 1 }] });
    assert.ok(patched.ok);
    assert.equal(JSON.stringify(tables), before);
  });
});
