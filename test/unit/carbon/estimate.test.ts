import assert from 'node:assert/strict';
import {
  EstimateSchema,
  compareRuns,
  equivalentsOf,
  estimateRun,
  estimateRunOrThrow,
  formatEstimate,
  formatSavings,
  loadTables,
  parseEstimate,
  CarbonModelError,
  type Estimate,
  type Range,
  type RunInput,
} from '../../../shared/src/carbon/index';

function estimate(input: RunInput, overrides?: unknown): Estimate {
  const result = estimateRun(input, overrides === undefined ? {} : { overrides });
  if (!result.ok) assert.fail(result.problems.map((p) => p.message).join('\n'));
  return result.value;
}

function problemsOf(input: unknown, overrides?: unknown): string {
  const result = estimateRun(input, overrides === undefined ? {} : { overrides });
  assert.equal(result.ok, false, 'expected the estimate to fail');
  return result.ok ? '' : result.problems.map((p) => p.message).join('\n');
}

function ranges(e: Estimate): Array<[string, Range]> {
  return [
    ['hours.wall', e.hours.wall],
    ['hours.device', e.hours.device],
    ['energyKWh', e.energyKWh],
    ['energy.gpu', e.energyBreakdownKWh.gpu],
    ['energy.cpu', e.energyBreakdownKWh.cpu],
    ['energy.ram', e.energyBreakdownKWh.ram],
    ['energy.it', e.energyBreakdownKWh.it],
    ['co2e.operational', e.co2eKg.operational],
    ['co2e.embodied', e.co2eKg.embodied],
    ['co2e.total', e.co2eKg.total],
    ['water.onsite', e.waterL.onsite],
    ['water.offsite', e.waterL.offsite],
    ['water.total', e.waterL.total],
  ];
}

const close = (actual: number, expected: number, relative = 1e-3) =>
  assert.ok(Math.abs(actual - expected) <= Math.abs(expected) * relative, `${actual} is not within ${relative * 100}% of ${expected}`);

/** 8 GPUs for 10 hours in us-east-1: the baseline most tests vary. */
const base: RunInput = {
  hardware: { gpu: 'a100-sxm4-80gb', count: 8 },
  duration: { wallHours: 10 },
  precision: 'bf16',
  location: { cloudRegion: { provider: 'aws', region: 'us-east-1' } },
};

describe('carbon model', () => {
  describe('the BLOOM worked example (carbon-data.md)', () => {
    // 384 A100-80GB, 1,082,990 GPU-hours at 400 W TDP, 57 gCO2e/kWh, no PUE → 433,196 kWh, 24.69 tCO2e.
    const bloom: RunInput = {
      hardware: { gpu: 'A100-80GB', count: 384, utilisation: 1, cpu: { sockets: 0 }, ramGB: 0 },
      duration: { deviceHours: 1_082_990 },
      location: { country: 'FR', gCO2ePerKWh: 57 },
      pue: 1,
    };

    it('reproduces the energy and the operational emissions', () => {
      const e = estimate(bloom);
      assert.equal(e.hardware.gpuId, 'a100-sxm4-80gb');
      close(e.energyKWh.value, 433_196, 1e-9);
      close(e.co2eKg.operational.value, 24_692, 1e-4);
      assert.deepEqual([e.co2eKg.operational.low, e.co2eKg.operational.high], [e.co2eKg.operational.value, e.co2eKg.operational.value]);
    });

    it("reproduces the paper's 11.2 t embodied (150 kg per GPU, 2,500 kg per 8-GPU node, 6 years at 85%)", () => {
      const e = estimate(bloom);
      close(e.co2eKg.embodied.value, 11_200, 0.01);
      assert.ok(e.co2eKg.embodied.high > e.co2eKg.embodied.value, 'a 4-year lifespan raises the high bound');
    });

    it('says that "A100-80GB" was ambiguous', () => {
      assert.match(estimate(bloom).warnings.join('\n'), /"A100-80GB" is ambiguous; assuming a100-sxm4-80gb/);
    });
  });

  describe('ranges', () => {
    const inputs: Array<[string, RunInput]> = [
      ['duration, cloud region', base],
      ['compute from parameters, country', { hardware: { gpu: 'H100', count: 64 }, compute: { parameters: 7e9, tokens: 1e12 }, precision: 'bf16', location: { country: 'DE' } }],
      ['compute from FLOPs, fp8', { hardware: { gpu: 'h100-sxm', count: 8 }, compute: { flops: 1e21 }, precision: 'fp8', location: { country: 'US' } }],
      ['vision model, workstation, no location', { hardware: { gpu: 'RTX 4090', count: 1 }, compute: { model: 'resnet50', samples: 1_281_167, epochs: 90 }, precision: 'fp16' }],
      ['Apple silicon', { hardware: { gpu: 'Apple M2 Max', count: 1 }, duration: { wallHours: 3 }, location: { country: 'SE' } }],
      ['TPU with given power', { hardware: { gpu: 'tpu-v5e', count: 16, powerW: 200 }, compute: { parameters: 1e9, tokens: 2e10 }, precision: 'bf16', location: { cloudRegion: { provider: 'gcp', region: 'us-west1' } } }],
    ];
    for (const [name, input] of inputs) {
      it(`orders low ≤ value ≤ high everywhere (${name})`, () => {
        const e = estimate(input);
        for (const [key, range] of ranges(e)) {
          assert.ok(Number.isFinite(range.value) && range.value >= 0, `${key} = ${range.value}`);
          assert.ok(range.low <= range.value && range.value <= range.high, `${key}: ${range.low} ≤ ${range.value} ≤ ${range.high}`);
        }
        assert.ok(e.energyKWh.value > 0);
      });
    }

    it('widens with the uncertain inputs and collapses when the user gives them', () => {
      const wide = estimate({ ...base, duration: undefined, compute: { flops: 1e20 } });
      assert.ok(wide.energyKWh.low < wide.energyKWh.value && wide.energyKWh.value < wide.energyKWh.high);
      assert.ok(wide.co2eKg.operational.high / wide.co2eKg.operational.low > 2);
      const narrow = estimate({
        ...base,
        duration: undefined,
        compute: { flops: 1e20 },
        mfu: 0.4,
        hardware: { ...base.hardware, utilisation: 0.9, cpu: { utilisation: 0.5 } },
        location: { gCO2ePerKWh: 300 },
        includeEmbodied: false,
      });
      assert.equal(narrow.energyKWh.low, narrow.energyKWh.value);
      assert.equal(narrow.energyKWh.high, narrow.energyKWh.value);
      assert.equal(narrow.co2eKg.total.low, narrow.co2eKg.total.high);
    });
  });

  describe('monotonicity', () => {
    it('more GPUs → more energy, CO2e and water', () => {
      let previous: Estimate | undefined;
      for (const count of [1, 2, 4, 8, 16, 64]) {
        const e = estimate({ ...base, hardware: { ...base.hardware, count } });
        if (previous) {
          assert.ok(e.energyKWh.value > previous.energyKWh.value, `count ${count}`);
          assert.ok(e.co2eKg.total.value > previous.co2eKg.total.value, `count ${count}`);
          assert.ok(e.waterL.total.value > previous.waterL.total.value, `count ${count}`);
        }
        previous = e;
      }
    });

    it('more hours → more energy, proportionally', () => {
      const one = estimate({ ...base, duration: { wallHours: 1 } });
      const ten = estimate({ ...base, duration: { wallHours: 10 } });
      close(ten.energyKWh.value, one.energyKWh.value * 10, 1e-9);
      close(ten.co2eKg.total.value, one.co2eKg.total.value * 10, 1e-9);
    });

    it('wall hours × devices equals the same device-hours', () => {
      const wall = estimate({ ...base, duration: { wallHours: 10 } });
      const device = estimate({ ...base, duration: { deviceHours: 80 } });
      close(wall.energyKWh.value, device.energyKWh.value, 1e-12);
    });

    it('more tokens or a bigger model → more time and energy', () => {
      const small = estimate({ ...base, duration: undefined, compute: { parameters: 1e9, tokens: 1e10 } });
      const big = estimate({ ...base, duration: undefined, compute: { parameters: 2e9, tokens: 1e10 } });
      const longer = estimate({ ...base, duration: undefined, compute: { parameters: 1e9, tokens: 3e10 } });
      close(big.hours.device.value, small.hours.device.value * 2, 1e-9);
      close(longer.energyKWh.value, small.energyKWh.value * 3, 1e-9);
    });
  });

  describe('compute and precision', () => {
    it('derives time from 6 × parameters × tokens / (devices × peak × MFU)', () => {
      const e = estimate({ ...base, duration: undefined, compute: { parameters: 1e9, tokens: 1e10 }, mfu: 0.5 });
      const expectedDeviceHours = (6 * 1e9 * 1e10) / (312e12 * 0.5) / 3600;
      close(e.hours.device.value, expectedDeviceHours, 1e-9);
      close(e.hours.wall.value, expectedDeviceHours / 8, 1e-9);
    });

    it('bf16 instead of tf32 lowers time and energy through the peak FLOP/s', () => {
      const run = { ...base, duration: undefined, compute: { parameters: 1.3e9, tokens: 2.6e10 } };
      const tf32 = estimate({ ...run, precision: 'tf32' });
      const bf16 = estimate({ ...run, precision: 'bf16' });
      close(tf32.hours.device.value / bf16.hours.device.value, 312 / 156, 1e-9);
      assert.ok(bf16.energyKWh.value < tf32.energyKWh.value);
    });

    it('an FP32 run on tensor-core GPUs takes the mixed-precision time × the published AMP speed-up, not the FP32 peak', () => {
      const run = { ...base, duration: undefined, compute: { parameters: 1.3e9, tokens: 2.6e10 } };
      const fp32 = estimate({ ...run, precision: 'fp32' });
      const bf16 = estimate({ ...run, precision: 'bf16' });
      // model-defaults.json mixedPrecisionSpeedup: 2 (1.5–5.5), from the PyTorch AMP recipe and blog.
      close(fp32.hours.device.value / bf16.hours.device.value, 2, 1e-9);
      close(fp32.hours.device.low / bf16.hours.device.low, 1.5, 1e-9);
      close(fp32.hours.device.high / bf16.hours.device.high, 5.5, 1e-9);
      const speedup = fp32.assumptions.find((a) => a.name === 'FP32 time over bf16 mixed-precision time');
      assert.equal(speedup?.value, 2);
      assert.match(speedup?.source.url ?? '', /pytorch\.org\/tutorials\/recipes\/recipes\/amp_recipe/);
      assert.ok(!fp32.warnings.some((w) => /no native/.test(w)), fp32.warnings.join('; '));
      // V100 has fp16 but no bf16 tensor cores: the FP32 run is the fp16 run × the speed-up.
      const v100 = { ...run, hardware: { gpu: 'v100-sxm2-32gb', count: 8 } };
      close(estimate({ ...v100, precision: 'fp32' }).hours.device.value / estimate({ ...v100, precision: 'fp16' }).hours.device.value, 2, 1e-9);
      // The speed-up is a default like any other: a user override replaces it.
      const overridden = estimateRun({ ...run, precision: 'fp32' }, { overrides: { defaults: { mixedPrecisionSpeedup: 3 } } });
      assert.ok(overridden.ok);
      close(overridden.value.hours.device.value / bf16.hours.device.value, 3, 1e-9);
    });

    it('an FP32 run with its own MFU, or on hardware without half-precision tensor cores, uses the FP32 peak', () => {
      const run = { ...base, duration: undefined, compute: { parameters: 1e9, tokens: 1e10 } };
      const given = estimate({ ...run, precision: 'fp32', mfu: 0.5 });
      close(given.hours.device.value, (6 * 1e9 * 1e10) / (19.5e12 * 0.5) / 3600, 1e-9);
      const apple = estimate({ ...run, precision: 'fp32', hardware: { gpu: 'apple-m2-max', count: 1 } });
      assert.ok(apple.assumptions.some((a) => a.name.startsWith('Peak dense throughput (fp32')), apple.assumptions.map((a) => a.name).join('; '));
      assert.ok(!apple.assumptions.some((a) => a.name.includes('mixed-precision time')));
    });

    it('fp8 on H100 is faster than bf16, and uses its own MFU row', () => {
      const run = { hardware: { gpu: 'h100-sxm', count: 8 }, compute: { flops: 1e21 }, location: { country: 'US' } } satisfies RunInput;
      const bf16 = estimate({ ...run, precision: 'bf16' });
      const fp8 = estimate({ ...run, precision: 'fp8' });
      assert.ok(fp8.hours.device.value < bf16.hours.device.value);
      assert.ok(fp8.assumptions.some((a) => a.name === 'MFU (fp8, any hardware)'));
      assert.ok(bf16.assumptions.some((a) => a.name === 'MFU (bf16, hopper)'));
    });

    it('falls back to the fp32 peak for bf16 on a V100, and says so', () => {
      const e = estimate({ hardware: { gpu: 'V100', count: 4 }, compute: { flops: 1e19 }, precision: 'bf16', location: { country: 'US' } });
      assert.match(e.warnings.join('\n'), /no native bf16 throughput; using its fp32 peak/);
      assert.ok(e.assumptions.some((a) => a.name.startsWith('Peak dense throughput (fp32') && a.value === 15.7));
    });

    it('estimates known vision models from per-sample FLOPs × samples × epochs', () => {
      const e = estimate({ hardware: { gpu: 'a100-sxm4-80gb', count: 1 }, compute: { model: 'ResNet-50', samples: 1_000_000, epochs: 10 }, precision: 'bf16', mfu: 0.5, location: { country: 'FR' } });
      const flops = 6 * 4.089e9 * 1e6 * 10;
      close(e.hours.device.value, flops / (312e12 * 0.5) / 3600, 1e-9);
    });

    it('gives a clear error when the hardware has no peak for the precision', () => {
      assert.match(problemsOf({ hardware: { gpu: 'tpu-v4' }, compute: { flops: 1e18 }, precision: 'fp32' }), /tpu-v4 has no peak throughput for fp32/);
    });
  });

  describe('places, PUE and water', () => {
    it('uses the provider PUE and WUE for a cloud region', () => {
      const e = estimate(base);
      const it_ = e.energyBreakdownKWh.it.value;
      close(e.energyKWh.value, it_ * 1.15, 1e-9);
      close(e.waterL.onsite.value, it_ * 0.18, 1e-9);
      close(e.waterL.offsite.value, e.energyKWh.value * 3.1, 1e-9);
      close(e.waterL.total.value, e.waterL.onsite.value + e.waterL.offsite.value, 1e-12);
    });

    it('falls back to the world average when no location is given, and warns', () => {
      const e = estimate({ ...base, location: undefined });
      assert.equal(e.location.kind, 'world');
      assert.match(e.warnings.join('\n'), /world average/);
      close(e.co2eKg.operational.value, (e.energyKWh.value * 481) / 1000, 1e-9);
    });

    it('applies no data-centre overhead or on-site water to a workstation', () => {
      const e = estimate({ hardware: { gpu: 'RTX 4090' }, duration: { wallHours: 5 }, location: { country: 'DE' } });
      close(e.energyKWh.value, e.energyBreakdownKWh.it.value, 1e-12);
      assert.equal(e.waterL.onsite.value, 0);
    });

    it('counts no separate CPU or memory for Apple silicon', () => {
      const e = estimate({ hardware: { gpu: 'apple-m1-max' }, duration: { wallHours: 2 }, location: { country: 'FR' } });
      assert.equal(e.energyBreakdownKWh.cpu.value, 0);
      assert.equal(e.energyBreakdownKWh.ram.value, 0);
      assert.match(e.warnings.join('\n'), /approximate/);
    });

    it('lower-carbon regions give lower operational CO2e for the same energy', () => {
      const paris = estimate({ ...base, location: { cloudRegion: { provider: 'aws', region: 'eu-west-3' } } });
      const virginia = estimate(base);
      close(paris.energyKWh.value, virginia.energyKWh.value, 1e-12);
      assert.ok(paris.co2eKg.operational.value < virginia.co2eKg.operational.value / 5);
    });
  });

  describe('overrides', () => {
    it('applies a custom GPU row and names it as the source', () => {
      const e = estimate(
        { hardware: { gpu: 'my-npu', count: 2 }, compute: { flops: 1e19 }, precision: 'bf16', mfu: 0.5, location: { country: 'FR' } },
        { gpus: [{ id: 'my-npu', name: 'Lab NPU', tdpW: 250, peakTflops: { bf16: 200 } }] },
      );
      assert.equal(e.hardware.gpuId, 'my-npu');
      close(e.hours.device.value, 1e19 / (200e12 * 0.5) / 3600, 1e-9);
      assert.ok(e.assumptions.some((a) => a.value === 250 && a.source.title === 'User override (overrides.gpus[0])' && a.year === null));
    });

    it('patches an existing GPU by alias', () => {
      const e = estimate({ ...base, hardware: { ...base.hardware, utilisation: 1 } }, { gpus: [{ id: 'NVIDIA A100-SXM4-80GB', tdpW: 500 }] });
      const plain = estimate({ ...base, hardware: { ...base.hardware, utilisation: 1 } });
      close(e.energyBreakdownKWh.gpu.value, plain.energyBreakdownKWh.gpu.value * (500 / 400), 1e-9);
    });

    it('overrides grid intensity by country and by region, PUE by provider, and any default', () => {
      const fr = estimate({ ...base, location: { country: 'FR' } }, { countries: { FR: 10 } });
      close(fr.co2eKg.operational.value, (fr.energyKWh.value * 10) / 1000, 1e-9);

      const region = estimate(base, { cloudRegions: { 'aws:us-east-1': 100 } });
      close(region.co2eKg.operational.value, (region.energyKWh.value * 100) / 1000, 1e-9);

      const pue = estimate(base, { providers: { aws: { pue: 1.5 } } });
      close(pue.energyKWh.value, pue.energyBreakdownKWh.it.value * 1.5, 1e-9);
      assert.ok(pue.assumptions.some((a) => a.name.startsWith('PUE') && a.source.title === 'User override (overrides.providers.aws.pue)'));

      const util = estimate(base, { defaults: { gpuUtilisation: 0.5 } });
      const plain = estimate({ ...base, hardware: { ...base.hardware, utilisation: 0.5 } });
      close(util.energyBreakdownKWh.gpu.value, plain.energyBreakdownKWh.gpu.value, 1e-12);
      assert.equal(util.energyBreakdownKWh.gpu.low, util.energyBreakdownKWh.gpu.value);
    });

    it('overrides MFU per precision with a range', () => {
      const run = { ...base, duration: undefined, compute: { flops: 1e20 } };
      const e = estimate(run, { mfu: { bf16: { value: 0.5, low: 0.4, high: 0.6 } } });
      close(e.hours.device.value, 1e20 / (312e12 * 0.5) / 3600, 1e-9);
      close(e.hours.device.low, 1e20 / (312e12 * 0.6) / 3600, 1e-9);
      close(e.hours.device.high, 1e20 / (312e12 * 0.4) / 3600, 1e-9);
    });

    it('the run input wins over overrides and tables', () => {
      const e = estimate({ ...base, pue: 1.3 }, { providers: { aws: { pue: 1.5 } } });
      close(e.energyKWh.value, e.energyBreakdownKWh.it.value * 1.3, 1e-9);
    });
  });

  describe('errors', () => {
    it('unknown GPU names suggest close ones', () => {
      const message = problemsOf({ ...base, hardware: { gpu: 'A1000' } });
      assert.match(message, /unknown GPU "A1000" \(did you mean a100/);
      assert.match(problemsOf({ ...base, hardware: { gpu: 'H10' } }), /did you mean h100/);
    });

    it('unknown places suggest close ones', () => {
      assert.match(problemsOf({ ...base, location: { country: 'Frence' } }), /unknown country "Frence" \(did you mean France/);
      assert.match(problemsOf({ ...base, location: { cloudRegion: { provider: 'aws', region: 'us-east-9' } } }), /unknown aws region "us-east-9" \(did you mean us-east-1/);
      assert.match(problemsOf({ ...base, location: { cloudRegion: { provider: 'awz', region: 'us-east-1' } } }), /unknown cloud provider "awz" \(did you mean aws/);
    });

    it('unknown models and CPUs suggest close ones', () => {
      assert.match(problemsOf({ ...base, duration: undefined, compute: { model: 'resnet51', samples: 10 } }), /unknown model "resnet51" \(did you mean resnet50/);
      assert.match(problemsOf({ ...base, hardware: { gpu: 'A100', cpu: { model: 'epyc-7743' } } }), /unknown CPU "epyc-7743" \(did you mean epyc-7742/);
    });

    it('invalid input names the key path', () => {
      assert.match(problemsOf({ ...base, hardware: { gpu: 'A100', count: 0 } }), /^hardware\.count: /m);
      assert.match(problemsOf({ ...base, precision: 'int4' }), /^precision: /m);
      assert.match(problemsOf({ hardware: { gpu: 'A100' } }), /give duration/);
      assert.match(problemsOf({ ...base, duration: { hours: 3 } }), /^duration: expected \{wallHours\} or \{deviceHours\}/m);
      assert.match(problemsOf('not an object'), /run input/);
    });

    it('a device without a power figure asks for one', () => {
      assert.match(problemsOf({ hardware: { gpu: 'TPU v5e' }, duration: { wallHours: 1 } }), /no power figure for tpu-v5e.*give hardware\.powerW/);
    });

    it('estimateRunOrThrow throws a CarbonModelError listing the problems', () => {
      assert.throws(() => estimateRunOrThrow({ ...base, hardware: { gpu: 'nope' } }), (error: unknown) => error instanceof CarbonModelError && /unknown GPU "nope"/.test(error.message));
    });
  });

  describe('assumptions and serialisation', () => {
    it('lists every assumption with its source and year', () => {
      const e = estimate({ hardware: { gpu: 'H100', count: 16 }, compute: { parameters: 7e9, tokens: 1e11 }, precision: 'bf16', location: { cloudRegion: { provider: 'gcp', region: 'europe-west4' } } });
      const names = e.assumptions.map((a) => a.name);
      for (const expected of ['GPU TDP', 'GPU utilisation', 'MFU', 'Peak dense throughput', 'FLOPs per parameter per token', 'CPU TDP', 'Memory power', 'Grid carbon intensity', 'PUE', 'EWIF', 'Embodied carbon', 'Hardware lifespan']) {
        assert.ok(names.some((n) => n.startsWith(expected)), `missing assumption ${expected}`);
      }
      for (const a of e.assumptions) {
        assert.ok(a.source.title.length > 0, a.name);
        if (a.source.title.startsWith('Run input')) assert.equal(a.year, null);
        else {
          assert.match(a.source.url ?? '', /^https:\/\//, a.name);
          assert.ok(typeof a.year === 'number', a.name);
        }
      }
    });

    it('round-trips through JSON and the versioned zod schema', () => {
      const e = estimate(base);
      const json = JSON.parse(JSON.stringify(e)) as unknown;
      assert.deepEqual(EstimateSchema.parse(json), e);
      const parsed = parseEstimate(json);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value, e);
      assert.equal(e.schemaVersion, 1);
      const broken = parseEstimate({ ...(json as object), schemaVersion: 2 });
      assert.ok(!broken.ok);
      assert.match(broken.problems[0]?.message ?? '', /schemaVersion/);
    });
  });

  describe('summaries and savings', () => {
    it('formats the code-lens line', () => {
      const e = estimate({ ...base, duration: { wallHours: 1 } });
      assert.match(formatEstimate(e), /^≈ [\d.,]+ (k|M)?Wh · [\d.,]+ (kg|t|g) CO2e on 8×A100 SXM4, us-east-1$/);
      const bloomLike = estimate({ hardware: { gpu: 'a100-sxm4-80gb', count: 384, utilisation: 1, cpu: { sockets: 0 }, ramGB: 0 }, duration: { deviceHours: 1_082_990 }, location: { country: 'FR', gCO2ePerKWh: 57 }, pue: 1, includeEmbodied: false });
      assert.equal(formatEstimate(bloomLike), '≈ 433 MWh · 25 t CO2e on 384×A100 SXM4, France');
    });

    it('compareRuns gives the savings of a change with consistent bounds', () => {
      const run = { ...base, duration: undefined, compute: { parameters: 1.3e9, tokens: 2.6e10 } };
      const before = estimate({ ...run, precision: 'fp32' });
      const after = estimate({ ...run, precision: 'bf16' });
      const savings = compareRuns(before, after);
      close(savings.energyKWh.value, before.energyKWh.value - after.energyKWh.value, 1e-12);
      assert.ok(savings.co2eKg.low <= savings.co2eKg.value && savings.co2eKg.value <= savings.co2eKg.high);
      // FP32 → bf16 at the AMP speed-up of 2: half the device time, so half the energy, CO2e and water.
      close(savings.fraction.energy, 0.5, 1e-9);
      assert.match(formatSavings(savings), /^saves ≈ .* CO2e \(−\d+%\)$/);
      const worse = compareRuns(after, before);
      assert.ok(worse.co2eKg.value < 0);
      assert.match(formatSavings(worse), /^costs ≈ /);
    });

    it('gives everyday equivalents from the cited table', () => {
      const tables = loadTables();
      assert.ok(tables.ok);
      const equivalents = equivalentsOf(100);
      assert.equal(equivalents.length, tables.value.equivalents.rows.length);
      const car = equivalents.find((e) => e.id === 'car-km');
      assert.ok(car && car.amount > 100 && car.source.url?.startsWith('https://'));
    });
  });
});
