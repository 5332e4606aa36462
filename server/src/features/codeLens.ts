/**
 * The estimate code lens above the training entry point (`trainer.train()`, `trainer.fit(...)`, `Trainer(...)`
 * or the outermost training loop): `≈ 41 kWh · 16 kg CO2e (8× A100-SXM4-80GB, us-east-1) — assumptions`, or,
 * when the run size cannot be read, `Green AI: estimate needs <input> — <how to provide it>`. Clicking runs the
 * client command `greenAI.showEstimate` with one `ShowEstimatePayload` (shared/src/protocol.ts). On a batch script
 * the lens sits on the GPU directive: `this job: ≤ 8× A100 for 24 h ≈ … kWh · … kg CO2e (…)` (estimates/jobEstimate.ts).
 */
import type { CodeLens } from 'vscode-languageserver';
import { formatEnergy, formatMass } from '../../../shared/src/carbon/index';
import { formatNumber } from '../../../shared/src/carbon/format';
import { SHOW_ESTIMATE_COMMAND, type ShowEstimatePayload } from '../../../shared/src/protocol';
import type { ScriptEstimate } from '../estimates/estimate';

export function estimateLensTitle(estimate: ScriptEstimate): string {
  switch (estimate.status) {
    case 'estimate': {
      const e = estimate.estimate;
      if (estimate.job) {
        const hours = estimate.job.hours >= 1 ? `${formatNumber(estimate.job.hours)} h` : `${formatNumber(estimate.job.hours * 60)} min`;
        return `this job: ≤ ${estimate.job.gpus}× ${e.hardware.gpuId.toUpperCase()} for ${hours} ≈ ${formatEnergy(e.energyKWh.value)} · ${formatMass(e.co2eKg.total.value)} CO2e (${e.location.label}) — assumptions`;
      }
      return `≈ ${formatEnergy(e.energyKWh.value)} · ${formatMass(e.co2eKg.total.value)} CO2e (${e.hardware.count}× ${e.hardware.gpuId.toUpperCase()}, ${e.location.label}) — assumptions`;
    }
    case 'missing': {
      const first = estimate.missing[0]!;
      return `Green AI: estimate needs ${first.input} — ${first.how}`;
    }
    case 'error':
      return `Green AI: no estimate — ${estimate.problems[0] ?? 'the carbon model refused the run'}`;
  }
}

export function estimatePayload(uri: string, estimate: ScriptEstimate): ShowEstimatePayload {
  const base = { version: 1 as const, uri, range: estimate.entry };
  switch (estimate.status) {
    case 'estimate':
      return { ...base, status: 'estimate', estimate: estimate.estimate };
    case 'missing':
      return { ...base, status: 'missing', missing: estimate.missing, assumptions: estimate.assumptions };
    case 'error':
      return { ...base, status: 'error', problems: estimate.problems };
  }
}

export function codeLensesFor(uri: string, estimate: ScriptEstimate | null): CodeLens[] {
  if (!estimate) return [];
  const line = estimate.entry.start.line;
  return [
    {
      range: { start: { line, character: estimate.entry.start.character }, end: { line, character: estimate.entry.start.character } },
      command: { title: estimateLensTitle(estimate), command: SHOW_ESTIMATE_COMMAND, arguments: [estimatePayload(uri, estimate)] },
    },
  ];
}
