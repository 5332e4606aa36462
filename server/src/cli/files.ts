/** Finds the files a `green-ai check` run covers (Python scripts, training configs, job scripts): .gitignore-aware walk, include/exclude globs. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { Settings } from '../../../shared/src/settings';

export interface FileSelection {
  files: string[];
  /** Paths given on the command line that do not exist. */
  missing: string[];
}

interface IgnoreScope {
  base: string;
  rules: Ignore;
}

export function collectFiles(paths: readonly string[], settings: Settings, cwd: string): FileSelection {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    if (!existsSync(absolute)) {
      missing.push(given);
      continue;
    }
    if (statSync(absolute).isFile()) {
      files.add(absolute); // An explicitly named file is analysed whatever the globs say.
      continue;
    }
    const included = picomatch(settings.include, { dot: true });
    const excluded = picomatch(settings.exclude, { dot: true });
    walk(absolute, absolute, gitignoreScopesAbove(absolute), (file) => {
      const relative = path.relative(absolute, file).split(path.sep).join('/');
      if (!excluded(relative) && included(relative)) files.add(file);
    }, excluded);
  }
  return { files: [...files].sort(), missing };
}

/** .gitignore files between the repository root (the nearest folder with .git) and the start folder. */
function gitignoreScopesAbove(start: string): IgnoreScope[] {
  const chain: string[] = [];
  for (let dir = path.dirname(start); ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (existsSync(path.join(dir, '.git')) || path.dirname(dir) === dir) break;
  }
  if (!existsSync(path.join(chain[0]!, '.git'))) return [];
  return chain.flatMap((dir) => loadGitignore(dir));
}

function loadGitignore(dir: string): IgnoreScope[] {
  const file = path.join(dir, '.gitignore');
  if (!existsSync(file)) return [];
  try {
    return [{ base: dir, rules: ignore().add(readFileSync(file, 'utf8')) }];
  } catch {
    return [];
  }
}

function isIgnored(scopes: readonly IgnoreScope[], file: string, isDirectory: boolean): boolean {
  for (const scope of scopes) {
    const relative = path.relative(scope.base, file).split(path.sep).join('/');
    if (!relative || relative.startsWith('..')) continue;
    if (scope.rules.ignores(isDirectory ? `${relative}/` : relative)) return true;
  }
  return false;
}

function walk(root: string, dir: string, scopes: IgnoreScope[], visit: (file: string) => void, excluded: (relative: string) => boolean): void {
  const here = [...scopes, ...loadGitignore(dir)];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // Unreadable folders are skipped, as git would.
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === '.git') continue;
      const relative = path.relative(root, full).split(path.sep).join('/');
      if (isIgnored(here, full, true) || excluded(`${relative}/`) || excluded(`${relative}/x`)) continue;
      walk(root, full, here, visit, excluded);
    } else if (entry.isFile() && !isIgnored(here, full, false)) {
      visit(full);
    }
  }
}
