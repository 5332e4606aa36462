/**
 * What the job graph needs from an entry script, read from its text without running or fully parsing it: whether the
 * script spreads over every visible GPU by itself (so a single `python train.py` process is not one-GPU), the data
 * loader workers each process starts, and the config files it loads by literal path (`HfArgumentParser.parse_json_file`,
 * `parse_yaml_file`, `@hydra.main(config_path=…, config_name=…)`). Comments and docstring lines are ignored; a value
 * that is not a literal is not a fact. Deliberately small: the Python rules do the real analysis of the script.
 */
import type { Range } from 'vscode-languageserver-types';

export interface LineFact<T> {
  value: T;
  /** 0-based line and the span of the matched text on it. */
  range: Range;
}

export interface PythonFacts {
  /** The script uses every visible GPU in one launch (nn.DataParallel, device_map="auto", mp.spawn, HF or Lightning Trainer). */
  multiGpuInProcess: LineFact<string> | undefined;
  /** The largest literal `num_workers` of a DataLoader, `dataloader_num_workers`, or a `--workers`-style argparse default. */
  numWorkers: LineFact<number> | undefined;
  /** Config paths the script loads by literal name, relative to the script's directory or the working directory. */
  configPaths: LineFact<string>[];
  /** `@hydra.main(config_path=…, config_name=…)`: the config directory (relative to the script) and the primary config name. */
  hydra: { configPath: string | undefined; configName: string | undefined; range: Range } | undefined;
}

const MULTI_GPU: { pattern: RegExp; what: string }[] = [
  { pattern: /(?<![A-Za-z])DataParallel\s*\(/, what: 'nn.DataParallel spreads one process over every visible GPU' },
  { pattern: /device_map\s*=\s*["'](auto|balanced|balanced_low_0|sequential)["']/, what: 'device_map shards the model over every visible GPU' },
  { pattern: /\b(mp|multiprocessing|torch\.multiprocessing)\.spawn\s*\(/, what: 'mp.spawn starts one process per GPU' },
  { pattern: /\b(Seq2Seq|SFT|DPO|GRPO|Reward|ORPO|KTO|PPO)?Trainer\s*\(\s*(model|args)\s*=/, what: 'the Hugging Face Trainer uses every visible GPU (DataParallel) under a plain python launch' },
  { pattern: /\b(pl|L|lightning|pytorch_lightning)\.Trainer\s*\(/, what: 'the Lightning Trainer launches one process per device itself' },
  { pattern: /\bLightningCLI\s*\(/, what: 'the Lightning Trainer (LightningCLI) launches one process per device itself' },
];
const WORKERS_KEYWORD = /\b(dataloader_)?num_workers\s*=\s*(\d+)\b/g;
const WORKERS_ARGUMENT = /add_argument\(\s*["'](?:-j["']\s*,\s*["'])?--(?:workers|num[_-]workers|dataloader[_-]num[_-]workers|data[_-]workers)["'][^)]*?default\s*=\s*(\d+)/;
const PARSE_FILE = /\.parse_(json|yaml)_file\(\s*(?:(?:json|yaml)_file\s*=\s*)?["']([^"']+)["']/g;
const HYDRA_MAIN = /@hydra\.main\(([^)]*)\)/;

export function pythonFacts(text: string): PythonFacts {
  const lines = text.split('\n');
  let multiGpuInProcess: PythonFacts['multiGpuInProcess'];
  let numWorkers: PythonFacts['numWorkers'];
  const configPaths: LineFact<string>[] = [];
  let hydra: PythonFacts['hydra'];
  let inDocstring = false;
  lines.forEach((raw, line) => {
    const quotes = (raw.match(/"""|'''/g) ?? []).length;
    const wasDocstring = inDocstring;
    if (quotes % 2 === 1) inDocstring = !inDocstring;
    if (wasDocstring || (quotes > 0 && quotes % 2 === 1)) return;
    const code = stripComment(raw);
    if (!code.trim()) return;
    const at = (index: number, length: number): Range => ({ start: { line, character: index }, end: { line, character: index + length } });
    if (!multiGpuInProcess) {
      for (const { pattern, what } of MULTI_GPU) {
        const match = pattern.exec(code);
        if (match) {
          multiGpuInProcess = { value: what, range: at(match.index, match[0].length) };
          break;
        }
      }
    }
    for (const match of code.matchAll(WORKERS_KEYWORD)) {
      const value = Number(match[2]);
      if (!numWorkers || value > numWorkers.value) numWorkers = { value, range: at(match.index, match[0].length) };
    }
    const argument = WORKERS_ARGUMENT.exec(code);
    if (argument) {
      const value = Number(argument[1]);
      if (!numWorkers || value > numWorkers.value) numWorkers = { value, range: at(argument.index, argument[0].length) };
    }
    for (const match of code.matchAll(PARSE_FILE)) configPaths.push({ value: match[2]!, range: at(match.index, match[0].length) });
    const main = HYDRA_MAIN.exec(code);
    if (main) {
      const args = main[1]!;
      hydra = {
        configPath: /config_path\s*=\s*["']([^"']*)["']/.exec(args)?.[1],
        configName: /config_name\s*=\s*["']([^"']+)["']/.exec(args)?.[1],
        range: at(main.index, main[0].length),
      };
    }
  });
  return { multiGpuInProcess, numWorkers, configPaths, hydra };
}

/** The line without a trailing `#` comment (a `#` inside a string literal is kept). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}
