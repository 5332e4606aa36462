/**
 * Generated Python training scripts for the benchmark, built from the realistic scripts in examples/:
 * each repetition of an example has its top-level functions and classes renamed (`train` → `train_7`), its
 * imports hoisted into one deduplicated header, and the result is valid Python on which our rules fire
 * (DataLoaders without workers or pinned memory, eval loops without no_grad, DataParallel, fp32 Trainers…).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const EXAMPLES_DIR = path.join(__dirname, '..', 'examples');

interface ExampleChunk {
  name: string;
  imports: string[];
  body: string[];
  /** Top-level `def`/`class` names, renamed per repetition. */
  definitions: string[];
}

export interface GeneratedScript {
  text: string;
  lines: number;
  /** A comment line near the middle of the file, for typing into. */
  editLine: number;
  /** The file's name and LSP language id; a Python training script when absent. */
  fileName?: string;
  languageId?: string;
}

/**
 * A Lightning/Hydra-style training config of exactly `targetLines` lines: a trainer block the config rules read (GPU,
 * 32-bit precision, no max_epochs, a data loader without workers), then model and data groups repeated with renamed
 * keys, as large generated sweep configs are. A comment line near the middle is typed into.
 */
export function trainingConfigYaml(targetLines: number): GeneratedScript {
  const lines = [
    '# Generated benchmark config: a Lightning trainer with model and data groups.',
    'trainer:',
    '  accelerator: gpu',
    '  devices: 4',
    '  precision: 32',
    '  log_every_n_steps: 50',
    'data:',
    '  batch_size: 64',
    '  num_workers: 0',
    '  pin_memory: false',
  ];
  let editLine = -1;
  for (let group = 0; lines.length < targetLines; group++) {
    if (editLine < 0 && lines.length >= targetLines / 2) {
      editLine = lines.length;
      lines.push('# tuning notes: ');
    }
    lines.push(
      `model_${group}:`,
      `  _target_: models.Backbone${group}`,
      `  hidden_size: ${256 + (group % 8) * 64}`,
      '  layers:',
      ...Array.from({ length: 4 }, (_, layer) => `    - { name: block_${layer}, dropout: 0.1, heads: ${4 + layer} }`),
      '  optimizer:',
      `    lr: ${(0.001 * (1 + (group % 5))).toFixed(4)}`,
      '    weight_decay: 0.01',
      `  tags: [sweep, group-${group}]`,
    );
  }
  lines.length = targetLines;
  if (editLine < 0) editLine = Math.floor(targetLines / 2);
  lines[editLine] = '# tuning notes: ';
  return { text: `${lines.join('\n')}\n`, lines: targetLines, editLine, fileName: 'trainer.yaml', languageId: 'yaml' };
}

/** Deterministic PRNG (mulberry32), so every run benchmarks the same corpus. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits one example into hoistable imports (multi-line parenthesised ones included) and the rest. */
function chunkOf(name: string, source: string): ExampleChunk {
  const lines = source.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const imports: string[] = [];
  const body: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^(import|from)\s/.test(line)) {
      let statement = line;
      if (line.includes('(') && !line.includes(')')) {
        while (++i < lines.length) {
          statement += `\n${lines[i]!}`;
          if (lines[i]!.includes(')')) break;
        }
      }
      imports.push(statement);
    } else {
      body.push(line);
    }
  }
  const definitions = body.flatMap((line) => {
    const match = /^(?:def|class)\s+([A-Za-z_]\w*)/.exec(line);
    return match ? [match[1]!] : [];
  });
  return { name, imports, body, definitions };
}

let cachedChunks: ExampleChunk[] | undefined;

export function exampleChunks(): ExampleChunk[] {
  cachedChunks ??= readdirSync(EXAMPLES_DIR)
    .filter((file) => file.endsWith('.py'))
    .sort()
    .map((file) => chunkOf(file, readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')));
  if (cachedChunks.length === 0) throw new Error(`no *.py examples in ${EXAMPLES_DIR}: the benchmark generates its scripts from them`);
  return cachedChunks;
}

function renamed(chunk: ExampleChunk, index: number, random: () => number): string[] {
  const pattern = chunk.definitions.length > 0 ? new RegExp(`\\b(${chunk.definitions.join('|')})\\b`, 'g') : null;
  // Vary the hyper-parameters a little so repetitions are not byte-identical.
  const batch = [16, 32, 64, 128, 256][Math.floor(random() * 5)]!;
  return [
    '',
    '',
    `# ---- section ${index}: adapted from examples/${chunk.name} ----`,
    ...chunk.body.map((line) => {
      const withNames = pattern ? line.replace(pattern, `$1_${index}`) : line;
      return withNames.replace(/batch_size=(\d+)/g, `batch_size=${batch}`);
    }),
  ];
}

/**
 * A training script of exactly `targetLines` lines (or one whole section when the target is smaller):
 * a docstring and import header, then renamed example sections, padded with configuration constants.
 */
export function trainingScript(targetLines: number, seed: number): GeneratedScript {
  const random = seededRandom(seed);
  const chunks = exampleChunks();
  const sections: string[][] = [];
  const imports = new Set<string>();
  const headerLines = () => 2 + [...imports].reduce((n, statement) => n + statement.split('\n').length, 0);
  let bodyLines = 0;
  for (let index = 0; ; index++) {
    const chunk = chunks[Math.floor(random() * chunks.length)]!;
    const section = renamed(chunk, index, random);
    const newImports = chunk.imports.filter((statement) => !imports.has(statement));
    const extraHeader = newImports.reduce((n, statement) => n + statement.split('\n').length, 0);
    const total = headerLines() + extraHeader + bodyLines + section.length;
    if (sections.length > 0 && total > targetLines) break;
    for (const statement of newImports) imports.add(statement);
    sections.push(section);
    bodyLines += section.length;
  }
  const header = [`"""Generated benchmark script (seed ${seed}): sections adapted from examples/*.py."""`, ...sortImports(imports), ''];
  const lines = [...header];
  let editLine = -1;
  const middle = targetLines / 2;
  for (const section of sections) {
    if (editLine < 0 && lines.length + section.length >= middle) {
      // Replace the section's first blank line by the comment the benchmark types into.
      editLine = lines.length;
      lines.push('# tuning notes: ', ...section.slice(1));
    } else {
      lines.push(...section);
    }
  }
  if (editLine < 0) {
    editLine = lines.length;
    lines.push('# tuning notes: ');
  }
  for (let pad = 0; lines.length < targetLines; pad++) lines.push(`PAD_SETTING_${pad} = ${pad}`);
  return { text: `${lines.join('\n')}\n`, lines: lines.length, editLine };
}

function sortImports(imports: Set<string>): string[] {
  return [...imports]
    .sort((a, b) => Number(a.startsWith('from')) - Number(b.startsWith('from')) || a.localeCompare(b))
    .flatMap((statement) => statement.split('\n'));
}

export interface GeneratedTree {
  root: string;
  files: number;
  lines: number;
  bytes: number;
}

/**
 * A project tree of `count` scripts in nested folders with a realistic spread of sizes:
 * most files small (60–250 lines), some medium (250–900), a few large (900–3,000).
 */
export function writeTrainingTree(root: string, count: number, seed: number): GeneratedTree {
  const random = seededRandom(seed);
  let lines = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const roll = random();
    const target =
      roll < 0.6 ? 60 + Math.floor(random() * 190) : roll < 0.9 ? 250 + Math.floor(random() * 650) : 900 + Math.floor(random() * 2100);
    const script = trainingScript(target, seed * 1000 + i);
    const folder = path.join(root, `project_${i % 10}`, i % 3 === 0 ? 'experiments' : 'train');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `train_${String(i).padStart(3, '0')}.py`), script.text);
    lines += script.lines;
    bytes += Buffer.byteLength(script.text);
  }
  return { root, files: count, lines, bytes };
}
