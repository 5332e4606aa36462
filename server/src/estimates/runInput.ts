/**
 * From the facts a script shows (extract.ts) and the user's settings to the carbon model's RunInput — or to
 * the list of inputs that are missing, each with how to provide it. Never a made-up number: what the script
 * does not say and no table or setting gives stays missing.
 */
import {
  resolveGpu,
  resolveLocation,
  type Assumption,
  type RunInput,
  type Tables,
} from '../../../shared/src/carbon/index';
import type { Settings } from '../../../shared/src/settings';
import type { Fact, RunFacts } from './extract';

export interface MissingInput {
  /** What is missing, as the lens names it: `model size (custom model Net)`. */
  input: string;
  /** How to provide it. */
  how: string;
}

export type RunExtraction =
  /** `bound`: the size is the batch job's --time limit (an upper bound), not read from the script. */
  | { ok: true; input: RunInput; assumptions: Assumption[]; bound?: { gpus: number; hours: number } }
  | { ok: false; missing: MissingInput[]; assumptions: Assumption[] };

/**
 * The setting keys an estimate reads; their values show in the assumptions. `job`: what the batch job that runs the
 * script says (jobs/ graph, estimates/jobEstimate.ts), which takes the place of the hardware settings.
 */
export type EstimateSettings = Pick<Settings, 'hardware.gpu' | 'hardware.count' | 'location' | 'carbon.overrides'> & { job?: JobRunFacts };

/** Facts about the run from the batch job that launches the script, each with the place it comes from. */
export interface JobRunFacts {
  /** GPUs the job's processes drive: `4× A100 from train.sbatch --gres=gpu:a100:4`. */
  devices: { count: number; from: string } | undefined;
  /** The GPU type the job requests (`--gres=gpu:a100:4`), when it names one. */
  gpu: { type: string; from: string } | undefined;
  /** The job's --time limit: the duration when the script does not give the run's size (an upper bound). */
  wallHours: { hours: number; from: string } | undefined;
}

const jobSource = (from: string): Pick<Assumption, 'source' | 'year'> => ({ source: { title: `Batch job: ${from}` }, year: null });

const HOW = {
  model: 'add `# green-ai: parameters=<count>` (or `flops=<training FLOPs>`, `hours=<wall-clock hours>`) to the script',
  data: 'add `# green-ai: samples=<training examples>` (or `tokens=<training tokens>`), or set max_steps',
  epochs: 'set num_train_epochs / max_epochs, or add `# green-ai: epochs=<n>`',
  sequence: 'pass max_length to the tokenizer, or add `# green-ai: seq-length=<tokens per example>`',
  batch: 'give the training batch size, or add `# green-ai: batch-size=<n>`',
};

const scriptSource = (fact: Fact<unknown>): Pick<Assumption, 'source' | 'year'> =>
  fact.defaultRow
    ? { source: { title: fact.defaultRow.source.title, url: fact.defaultRow.source.url }, year: fact.defaultRow.year }
    : { source: { title: fact.line === null ? `Script: ${fact.from}` : `Script line ${fact.line + 1}: ${fact.from}` }, year: null };

const settingSource = (key: string): Pick<Assumption, 'source' | 'year'> => ({ source: { title: `Setting greenAI.${key}` }, year: null });

/** The carbon model's location input for the greenAI.location setting (undefined: the world average). */
export function locationInput(setting: string, tables: Tables): RunInput['location'] {
  const where = resolveLocation(setting, tables);
  if (!where.ok) return undefined;
  return where.value.kind === 'cloud-region' && where.value.provider
    ? { cloudRegion: { provider: where.value.provider.provider, region: (where.value.row as { region: string }).region } }
    : { country: where.value.key };
}

/** The run input for the carbon model, or what is missing. `tables` are the shipped tables with the user's overrides. */
export function runFromFacts(facts: RunFacts, settings: EstimateSettings, tables: Tables): RunExtraction {
  const assumptions: Assumption[] = [];
  const missing: MissingInput[] = [];
  const note = (name: string, value: number | string, unit: string | undefined, provenance: Pick<Assumption, 'source' | 'year'>, extra?: string) => {
    const entry: Assumption = { name, value, ...provenance };
    if (unit) entry.unit = unit;
    if (extra) entry.note = extra;
    assumptions.push(entry);
  };
  const hints = facts.hints;

  // --- Hardware and place: the script where it says, the settings otherwise -----------------------
  // A `# green-ai: devices=` hint wins; then the batch job that runs the script; then the script; then the settings.
  const job = settings.job;
  const devicesFact = hints.devices ?? (job?.devices ? undefined : facts.devices);
  const count = devicesFact ? Math.round(devicesFact.value) : job?.devices ? job.devices.count : settings['hardware.count'];
  if (devicesFact) note('Accelerators', count, 'devices', scriptSource(devicesFact));
  else if (job?.devices) note('Accelerators', count, 'devices', jobSource(job.devices.from));
  else note('Accelerators', count, 'devices', settingSource('hardware.count'), facts.multiDevice ? `The script runs on several GPUs (${facts.multiDevice}) without saying how many.` : undefined);
  const jobGpu = job?.gpu && resolveGpu(job.gpu.type, tables).ok ? job.gpu : undefined; // a type the GPU table does not know: the setting
  const gpu = jobGpu?.type ?? settings['hardware.gpu'];
  note('Accelerator model', gpu, undefined, jobGpu ? jobSource(jobGpu.from) : settingSource('hardware.gpu'));
  note('Location', settings.location, undefined, settingSource('location'));
  const location = locationInput(settings.location, tables);

  const precision = facts.precision;
  note('Precision', precision.value, undefined, scriptSource(precision));

  const base = { hardware: { gpu, count }, precision: precision.value, location } satisfies Partial<RunInput>;
  // Without the run's size, a batch job's --time limit bounds its duration (the lens then reads `this job: ≤ …`).
  const incomplete = (missing: MissingInput[]): RunExtraction => {
    if (!job?.wallHours) return { ok: false, missing, assumptions };
    note('Wall-clock time (upper bound)', job.wallHours.hours, 'h', jobSource(job.wallHours.from), `The script does not give the run's size (${missing.map((m) => m.input).join(', ')}); the job's time limit bounds it.`);
    return { ok: true, input: { ...base, duration: { wallHours: job.wallHours.hours } }, assumptions, bound: { gpus: count, hours: job.wallHours.hours } };
  };

  // --- Size of the run ------------------------------------------------------------------------------
  if (hints.hours) {
    note('Wall-clock time', hints.hours.value, 'h', scriptSource(hints.hours));
    return { ok: true, input: { ...base, duration: { wallHours: hints.hours.value } }, assumptions };
  }
  if (hints.flops) {
    note('Training compute', hints.flops.value, 'FLOPs', scriptSource(hints.flops));
    return { ok: true, input: { ...base, compute: { flops: hints.flops.value } }, assumptions };
  }

  const model = facts.model;
  const epochs = hints.epochs ?? facts.epochs;
  const steps = hints.steps ?? facts.maxSteps;
  const batch = hints['batch-size'] ?? facts.batchSize;
  const accumulation = facts.gradAccumulation;
  const dataset = facts.dataset?.kind === 'known' ? facts.dataset : null;
  const samplesHint = hints.samples;

  if (model?.kind === 'language' || hints.parameters) {
    const parameters = hints.parameters?.value ?? (model?.kind === 'language' ? model.row.parameters : 0);
    if (hints.parameters) note('Parameters', parameters, 'parameters', scriptSource(hints.parameters));
    else if (model?.kind === 'language') note(`Parameters (${model.row.id})`, parameters, 'parameters', { source: model.row.source, year: model.row.year }, `from_pretrained("${model.name}"), line ${model.line + 1}`);
    if (hints.tokens) {
      note('Training tokens', hints.tokens.value, 'tokens', scriptSource(hints.tokens));
      return { ok: true, input: { ...base, compute: { parameters, tokens: hints.tokens.value } }, assumptions };
    }
    const sequence = hints['seq-length'] ?? facts.seqLength;
    let tokens: number | null = null;
    if (steps) {
      if (!batch) missing.push({ input: 'batch size', how: HOW.batch });
      if (!sequence) missing.push({ input: 'sequence length', how: HOW.sequence });
      if (batch && sequence) {
        const acc = accumulation?.value ?? 1;
        tokens = steps.value * batch.value * acc * count * sequence.value;
        note('Steps', steps.value, 'optimizer steps', scriptSource(steps));
        note('Batch size per device', batch.value, 'examples', scriptSource(batch));
        if (accumulation) note('Gradient accumulation', acc, 'micro-batches per step', scriptSource(accumulation));
        note('Sequence length', sequence.value, 'tokens per example', scriptSource(sequence));
        note('Training tokens', tokens, 'tokens', { source: { title: 'steps × batch × accumulation × devices × sequence length' }, year: null });
      }
    } else {
      if (!epochs) missing.push({ input: 'epochs', how: HOW.epochs });
      const corpusTokens = !samplesHint && dataset?.row.trainTokens;
      if (!dataset && !samplesHint) missing.push({ input: facts.dataset ? `dataset size (${facts.dataset.name})` : 'dataset size', how: HOW.data });
      if (!corpusTokens && !sequence) missing.push({ input: 'sequence length', how: HOW.sequence });
      if (epochs && missing.length === 0) {
        note('Epochs', epochs.value, 'passes over the training split', scriptSource(epochs));
        if (corpusTokens && dataset) {
          note(`Training tokens per epoch (${dataset.row.id})`, corpusTokens, 'tokens', { source: dataset.row.source, year: dataset.row.year }, dataset.row.note);
          tokens = corpusTokens * epochs.value;
        } else {
          const samples = samplesHint?.value ?? dataset!.row.trainExamples;
          if (samplesHint) note('Training examples', samples, 'examples', scriptSource(samplesHint));
          else note(`Training examples (${dataset!.row.id})`, samples, 'examples', { source: dataset!.row.source, year: dataset!.row.year }, `dataset "${dataset!.name}", line ${dataset!.line + 1}`);
          note('Sequence length', sequence!.value, 'tokens per example', scriptSource(sequence!), 'An upper bound when batches are padded dynamically.');
          tokens = samples * sequence!.value * epochs.value;
        }
        note('Training tokens', tokens, 'tokens', { source: { title: 'examples × sequence length × epochs' }, year: null });
      }
    }
    if (missing.length > 0 || tokens === null) return incomplete(missing);
    return { ok: true, input: { ...base, compute: { parameters, tokens } }, assumptions };
  }

  if (model?.kind === 'vision') {
    note(`Model (${model.row.id})`, model.name, undefined, { source: model.row.source, year: model.row.year }, `line ${model.line + 1}`);
    let samples: number | null = null;
    let passes = 1;
    if (steps && !epochs) {
      if (!batch) missing.push({ input: 'batch size', how: HOW.batch });
      else {
        samples = steps.value * batch.value * (accumulation?.value ?? 1) * count;
        note('Steps', steps.value, 'optimizer steps', scriptSource(steps));
        note('Batch size per device', batch.value, 'images', scriptSource(batch));
      }
    } else {
      if (!epochs) missing.push({ input: 'epochs', how: HOW.epochs });
      if (!dataset && !samplesHint) missing.push({ input: facts.dataset ? `dataset size (${facts.dataset.name})` : 'dataset size', how: HOW.data });
      if (epochs && (dataset || samplesHint)) {
        samples = samplesHint?.value ?? dataset!.row.trainExamples;
        passes = epochs.value;
        note('Epochs', passes, 'passes over the training split', scriptSource(epochs));
        if (samplesHint) note('Training examples', samples, 'images', scriptSource(samplesHint));
        else note(`Training examples (${dataset!.row.id})`, samples, 'images', { source: dataset!.row.source, year: dataset!.row.year }, `dataset "${dataset!.name}", line ${dataset!.line + 1}`);
      }
    }
    if (missing.length > 0 || samples === null) return incomplete(missing);
    const resolution = dataset?.row.imageResolution;
    if (resolution && resolution !== model.row.inputResolution) {
      // Convolution and attention FLOPs grow with the image area: scale the table's per-image cost to the dataset's images.
      const area = (resolution / model.row.inputResolution) ** 2;
      const factor = tables.defaults.rows.find((row) => row.key === 'trainingFlopsPerForwardMac');
      if (!factor) return { ok: false, missing: [{ input: 'training FLOPs per MAC', how: 'restore shared/data/model-defaults.json' }], assumptions };
      const flops = factor.value * model.row.forwardGMACs * 1e9 * area * samples * passes;
      note(`Forward pass (${model.row.id}, ${model.row.inputResolution}×${model.row.inputResolution})`, model.row.forwardGMACs, 'GMACs per image', { source: model.row.source, year: model.row.year });
      note('Image size', `${resolution}×${resolution}`, undefined, { source: dataset!.row.source, year: dataset!.row.year }, `per-image cost scaled by the area ratio ${area.toPrecision(3)}`);
      note('Training FLOPs per forward multiply-accumulate', factor.value, factor.unit, { source: factor.source, year: factor.year });
      note('Training compute', flops, 'FLOPs', { source: { title: 'FLOPs/MAC × GMACs × area ratio × images × epochs' }, year: null });
      return { ok: true, input: { ...base, compute: { flops } }, assumptions };
    }
    return { ok: true, input: { ...base, compute: { model: model.row.id, samples, epochs: passes } }, assumptions };
  }

  const what = model?.kind === 'unknown' ? `model size (${/^[A-Z]/.test(model.name) && !model.name.includes('/') ? `custom model ${model.name}` : `"${model.name}" is not in the tables`})` : 'model size';
  missing.push({ input: what, how: HOW.model });
  return incomplete(missing);
}
