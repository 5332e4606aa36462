/**
 * Project configuration for `green-ai check`: each analysed file gets the settings of the nearest pyproject.toml
 * `[tool.green-ai]` / .green-ai.toml above it (up to the repository root), under the `--config` file's values,
 * which count as set explicitly. Each project file is read once per run and its problems are printed once.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mergeSettingLayers, type Settings } from '../../../shared/src/settings';
import { findProjectConfigIn, type ProjectConfig, type ProjectFileReader } from './projectConfig';

export const diskReader: ProjectFileReader = {
  read: (file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  isRepositoryRoot: (dir) => existsSync(path.join(dir, '.git')),
};

export interface ResolvedSettings {
  settings: Settings;
  /** The project file that applies, or null when none does. */
  config: ProjectConfig | null;
}

export class CliProjectSettings {
  private readonly byDirectory = new Map<string, ResolvedSettings>();
  private readonly byConfigFile = new Map<string, ResolvedSettings>();
  private readonly noConfig: ResolvedSettings;

  constructor(
    private readonly explicit: Partial<Settings>,
    private readonly reader: ProjectFileReader = diskReader,
  ) {
    this.noConfig = { settings: mergeSettingLayers(explicit), config: null };
  }

  /** The settings for files in `dir` (and for walking it). */
  forDirectory(dir: string): ResolvedSettings {
    let resolved = this.byDirectory.get(dir);
    if (!resolved) {
      const config = findProjectConfigIn(dir, this.reader);
      resolved = config ? this.forConfig(config) : this.noConfig;
      this.byDirectory.set(dir, resolved);
    }
    return resolved;
  }

  forFile(file: string): ResolvedSettings {
    return this.forDirectory(path.dirname(file));
  }

  /** Every project file read so far. */
  configs(): ProjectConfig[] {
    return [...this.byConfigFile.values()].flatMap((resolved) => (resolved.config ? [resolved.config] : []));
  }

  private forConfig(config: ProjectConfig): ResolvedSettings {
    let resolved = this.byConfigFile.get(config.file);
    if (!resolved) {
      resolved = { settings: mergeSettingLayers(config.values, this.explicit), config };
      this.byConfigFile.set(config.file, resolved);
    }
    return resolved;
  }
}

/** `pyproject.toml:12:5: warning GA000 tool.green-ai.rules.GA1: …` lines, paths relative to `cwd`, 1-based like the findings. */
export function formatProjectProblems(configs: readonly ProjectConfig[], cwd: string): string {
  return configs
    .flatMap((config) =>
      config.problems.map((problem) => {
        const file = path.relative(cwd, config.file) || config.file;
        return `${file}:${problem.range.start.line + 1}:${problem.range.start.character + 1}: ${problem.severity} GA000 ${problem.message}\n`;
      }),
    )
    .join('');
}
