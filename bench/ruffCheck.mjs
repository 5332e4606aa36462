// Child script for the CLI benchmark: lints every *.py file under a folder with Ruff's WebAssembly build
// (Workspace API, default settings), reading each file from disk, in one Node process. Plain JavaScript so
// the measured whole-process time holds no TypeScript loader. Prints one JSON line with the in-process times.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const started = performance.now();
const { Workspace, PositionEncoding } = await import('@astral-sh/ruff-wasm-nodejs');
const workspace = new Workspace(Workspace.defaultSettings(), PositionEncoding.Utf16);
const loaded = performance.now();

function pythonFiles(folder) {
  return readdirSync(folder, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) return pythonFiles(full);
      return entry.isFile() && entry.name.endsWith('.py') ? [full] : [];
    });
}

const root = process.argv[2];
if (!root) {
  console.error('usage: node bench/ruffCheck.mjs FOLDER');
  process.exit(2);
}
let files = 0;
let lines = 0;
let diagnostics = 0;
for (const file of pythonFiles(root)) {
  const text = readFileSync(file, 'utf8');
  diagnostics += workspace.check(text).length;
  files++;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
}
const done = performance.now();
workspace.free();
process.stdout.write(
  `${JSON.stringify({ version: Workspace.version(), files, lines, diagnostics, loadMs: loaded - started, checkMs: done - loaded })}\n`,
);
