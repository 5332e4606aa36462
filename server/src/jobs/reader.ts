/**
 * How the job graph reads the files a job references: the server reads open editor buffers first (unsaved edits
 * count) and the disk otherwise; the CLI reads the disk. Files over the size cap are not read (a 100 MB JSON is a data
 * file, not a config).
 */
import { readFileSync, statSync } from 'node:fs';

export interface FileReader {
  /** The text of an absolute path, or undefined when it does not exist, is not a file or is too large. */
  read(path: string): string | undefined;
}

const MAX_BYTES = 2 * 1024 * 1024;

export const diskReader: FileReader = {
  read(path) {
    try {
      const stat = statSync(path);
      if (!stat.isFile() || stat.size > MAX_BYTES) return undefined;
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/** Open documents (by absolute path) over another reader. */
export function overlayReader(open: (path: string) => string | undefined, base: FileReader = diskReader): FileReader {
  return { read: (path) => open(path) ?? base.read(path) };
}
