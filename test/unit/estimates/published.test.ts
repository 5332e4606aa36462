/**
 * Published training footprints, reproduced from their stated inputs within 2%. Each case cites the paper
 * and table its inputs and outputs come from; the model is run with those inputs only (accelerators alone,
 * the paper's PUE and grid intensity), as the papers did.
 */
import assert from 'node:assert/strict';
import { estimateRun, type Estimate, type RunInput } from '../../../shared/src/carbon/index';
import { estimateCommand } from '../../../server/src/cli/estimate';

function estimate(input: RunInput): Estimate {
  const result = estimateRun(input);
  if (!result.ok) assert.fail(result.problems.map((p) => p.message).join('\n'));
  return result.value;
}

const within = (actual: number, expected: number, relative = 0.02) =>
  assert.ok(Math.abs(actual - expected) <= expected * relative, `${actual} is not within ${relative * 100}% of ${expected}`);

const accelerators = (gpu: string, count: number, powerW?: number) => ({
  gpu,
  count,
  ...(powerW === undefined ? { utilisation: 1 } : { powerW }),
  cpu: { sockets: 0 },
  ramGB: 0,
});

interface PublishedRun {
  name: string;
  source: string;
  input: RunInput;
  energyMWh: number;
  operationalT: number;
}

/** Patterson et al., "Carbon Emissions and Large Neural Network Training" (2021), Table 4 — https://arxiv.org/abs/2104.10350 */
const PATTERSON = 'Patterson et al. 2021, Table 4 (arXiv:2104.10350)';

const RUNS: PublishedRun[] = [
  {
    // Luccioni, Viguier, Ligozat, "Estimating the Carbon Footprint of BLOOM" (JMLR 2023): 1,082,990 A100-80GB GPU-hours
    // at 400 W TDP, 57 gCO2e/kWh (France), no PUE → 433,196 kWh, 24.69 tCO2e — https://arxiv.org/abs/2211.02001
    name: 'BLOOM-176B',
    source: 'Luccioni et al. 2023, section 4',
    input: { hardware: accelerators('A100-SXM4-80GB', 384), duration: { deviceHours: 1_082_990 }, location: { gCO2ePerKWh: 57 }, pue: 1, includeEmbodied: false },
    energyMWh: 433,
    operationalT: 24.7,
  },
  {
    // 10,000 V100 for 14.8 days, 330 W average per processor, PUE 1.10, 0.429 kgCO2e/kWh → 1,287 MWh, 552 tCO2e.
    name: 'GPT-3',
    source: PATTERSON,
    input: { hardware: accelerators('V100-SXM2-32GB', 10_000, 330), duration: { deviceHours: 10_000 * 14.8 * 24 }, location: { gCO2ePerKWh: 429 }, pue: 1.1, includeEmbodied: false },
    energyMWh: 1287,
    operationalT: 552,
  },
  {
    // 1,024 TPU v3 for 30 days, 289 W, PUE 1.09, 0.415 kgCO2e/kWh → 232 MWh, 96.4 tCO2e.
    name: 'Meena',
    source: PATTERSON,
    input: { hardware: accelerators('TPU v3', 1024, 289), duration: { deviceHours: 1024 * 30 * 24 }, location: { gCO2ePerKWh: 415 }, pue: 1.09, includeEmbodied: false },
    energyMWh: 232,
    operationalT: 96.4,
  },
  {
    // 512 TPU v3 for 20 days, 310 W, PUE 1.12, 0.545 kgCO2e/kWh → 86.3 MWh, 46.7 tCO2e.
    name: 'T5-11B',
    source: PATTERSON,
    input: { hardware: accelerators('TPU v3', 512, 310), duration: { deviceHours: 512 * 20 * 24 }, location: { gCO2ePerKWh: 545 }, pue: 1.12, includeEmbodied: false },
    energyMWh: 86.3,
    operationalT: 46.7,
  },
  {
    // 1,024 TPU v3 for 27 days, 245 W, PUE 1.10, 0.330 kgCO2e/kWh → 179 MWh, 59.1 tCO2e.
    name: 'Switch Transformer',
    source: PATTERSON,
    input: { hardware: accelerators('TPU v3', 1024, 245), duration: { deviceHours: 1024 * 27 * 24 }, location: { gCO2ePerKWh: 330 }, pue: 1.1, includeEmbodied: false },
    energyMWh: 179,
    operationalT: 59.1,
  },
];

describe('published training footprints (within 2%)', () => {
  for (const run of RUNS) {
    it(`${run.name}: ${run.energyMWh} MWh, ${run.operationalT} tCO2e operational (${run.source})`, () => {
      const e = estimate(run.input);
      within(e.energyKWh.value / 1000, run.energyMWh);
      within(e.co2eKg.operational.value / 1000, run.operationalT);
    });
  }

  it("BLOOM's embodied share: 11.2 t from the paper's inputs (150 kg per A100, 2,500 kg per 8-GPU server, 6 years at 85%)", () => {
    const e = estimate({ ...RUNS[0]!.input, includeEmbodied: true });
    within(e.co2eKg.embodied.value / 1000, 11.2);
  });

  it('green-ai estimate reproduces GPT-3 from flags alone, as JSON', async () => {
    let stdout = '';
    const code = await estimateCommand(
      ['--gpu', 'V100-SXM2-32GB', '--gpus', '10000', '--gpu-hours', String(10_000 * 14.8 * 24), '--power-w', '330', '--pue', '1.1', '--intensity', '429', '--gpu-only', '--format', 'json'],
      { stdout: (t) => (stdout += t), stderr: () => undefined },
    );
    assert.equal(code, 0);
    const json = JSON.parse(stdout);
    within(json.energyKWh.value / 1000, 1287);
    within(json.co2eKg.operational / 1000, 552);
  });
});
