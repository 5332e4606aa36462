/**
 * The disk side of SiblingFileReader (configOverrides.ts), for the CLI and the server: reads `dir/*.ext` next to an
 * analysed file. Kept out of the analysis modules so that they stay free of I/O; bounded so that a huge config folder
 * cannot stall an analysis.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SiblingFileReader } from './configOverrides';

const MAX_FILES = 64;
const MAX_BYTES = 256 * 1024;
const GLOB = /^([\w.-]+)\/\*(\.[\w]+)$/;

/** A reader for the file at `fileOrUri` (a path or a `file:` URI); undefined for documents that are not on disk. */
export function siblingFileReaderFor(fileOrUri: string): SiblingFileReader | undefined {
  let file: string;
  if (/^[a-z][\w+.-]*:/i.test(fileOrUri) && !/^[a-z]:[\\/]/i.test(fileOrUri)) {
    if (!fileOrUri.startsWith('file:')) return undefined;
    try {
      file = fileURLToPath(fileOrUri);
    } catch {
      return undefined;
    }
  } else {
    file = fileOrUri;
  }
  const directory = path.dirname(path.resolve(file));
  return (glob) => {
    const match = GLOB.exec(glob);
    if (!match) throw new Error(`sibling file pattern "${glob}" is not of the form dir/*.ext`);
    const folder = path.join(directory, match[1]!);
    let names: string[];
    try {
      names = readdirSync(folder).filter((name) => name.endsWith(match[2]!)).sort().slice(0, MAX_FILES);
    } catch {
      return [];
    }
    const files: { path: string; text: string }[] = [];
    for (const name of names) {
      const full = path.join(folder, name);
      try {
        if (statSync(full).size > MAX_BYTES) continue;
        files.push({ path: path.join(match[1]!, name), text: readFileSync(full, 'utf8') });
      } catch {
        // Unreadable or vanished between listing and reading: it overrides nothing.
      }
    }
    return files;
  };
}
