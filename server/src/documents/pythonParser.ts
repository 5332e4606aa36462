/**
 * Loads web-tree-sitter and the tree-sitter-python grammar once per process (once per thread).
 * In the bundles both wasm files sit next to the script (esbuild.mjs copies them); when running from
 * sources (tests) they are found in node_modules. `green-ai check` compiles both modules once and hands
 * them to its worker threads: a WebAssembly.Module is shared between threads, so its functions are
 * compiled and optimised once for all of them instead of once per thread.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

let ready: Promise<Language> | undefined;

function locate(fileName: string, packageEntry: string): string {
  const besideBundle = path.join(__dirname, fileName);
  if (existsSync(besideBundle)) return besideBundle;
  return path.join(path.dirname(require.resolve(packageEntry)), fileName);
}

const RUNTIME_WASM = ['web-tree-sitter.wasm', 'web-tree-sitter'] as const;
const GRAMMAR_WASM = ['tree-sitter-python.wasm', 'tree-sitter-python/package.json'] as const;

/** The parts of the WebAssembly API used here: the project's TypeScript libraries declare only its Module type. */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
  Instance: new (module: WebAssembly.Module, imports: unknown) => object;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Both wasm modules, compiled: what a thread needs to load the parser without compiling them again. */
export interface CompiledPython {
  runtime: WebAssembly.Module;
  grammar: WebAssembly.Module;
}

export async function compilePython(): Promise<CompiledPython> {
  const compile = async (file: readonly [string, string]) => wasm.compile(await readFile(locate(...file)));
  const [runtime, grammar] = await Promise.all([compile(RUNTIME_WASM), compile(GRAMMAR_WASM)]);
  return { runtime, grammar };
}

/** Loads the parser, from the given compiled modules when there are some (only the first call of a thread decides). */
export function loadPython(compiled?: CompiledPython): Promise<Language> {
  ready ??= (async () => {
    if (compiled) {
      await Parser.init({
        // Emscripten's hook for a module instantiated by the host: web-tree-sitter then skips fetching and compiling its own.
        instantiateWasm(imports: unknown, receive: (instance: object, module: WebAssembly.Module) => void) {
          receive(new wasm.Instance(compiled.runtime, imports), compiled.runtime);
          return {};
        },
      });
      return Language.loadSync(compiled.grammar);
    }
    const runtimeWasm = locate(...RUNTIME_WASM);
    await Parser.init({ locateFile: () => runtimeWasm });
    return Language.load(locate(...GRAMMAR_WASM));
  })();
  return ready;
}

/** A parser for Python; call after `loadPython()` resolved. */
export async function createPythonParser(compiled?: CompiledPython): Promise<Parser> {
  const language = await loadPython(compiled);
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}
