/**
 * Loads web-tree-sitter and the tree-sitter-python grammar once per process.
 * In the bundles both wasm files sit next to the script (esbuild.mjs copies them); when running from
 * sources (tests) they are found in node_modules.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

let ready: Promise<Language> | undefined;

function locate(fileName: string, packageEntry: string): string {
  const besideBundle = path.join(__dirname, fileName);
  if (existsSync(besideBundle)) return besideBundle;
  return path.join(path.dirname(require.resolve(packageEntry)), fileName);
}

export function loadPython(): Promise<Language> {
  ready ??= (async () => {
    const runtimeWasm = locate('web-tree-sitter.wasm', 'web-tree-sitter');
    await Parser.init({ locateFile: () => runtimeWasm });
    return Language.load(locate('tree-sitter-python.wasm', 'tree-sitter-python/package.json'));
  })();
  return ready;
}

/** A parser for Python; call after `loadPython()` resolved. */
export async function createPythonParser(): Promise<Parser> {
  const language = await loadPython();
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}
