// Bundles the extension client, the language server and the CLI into dist/, and copies the
// tree-sitter wasm files next to them (the server loads them from its own directory).
import * as esbuild from 'esbuild';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const outdir = 'dist';
const { version } = JSON.parse(await readFile('package.json', 'utf8'));

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
  define: { __GREEN_AI_VERSION__: JSON.stringify(version) },
  // The ES-module build of web-tree-sitter locates its wasm through import.meta.url, which is
  // empty in a CommonJS bundle; its CommonJS build uses __dirname and works once bundled.
  // jsonc-parser's main entry is a UMD build whose dynamic require('./impl/format') esbuild cannot follow; bundle its ES-module build.
  alias: {
    'web-tree-sitter': require.resolve('web-tree-sitter'),
    'jsonc-parser': path.join(path.dirname(require.resolve('jsonc-parser/package.json')), 'lib', 'esm', 'main.js'),
    // yaml's Node build reads process.env.LOG_TOKENS for every token (≈15% of a large file's parse); its browser build
    // is the same parser without that lookup.
    yaml: path.join(path.dirname(require.resolve('yaml/package.json')), 'browser', 'dist', 'index.js'),
  },
};

const entries = [
  // koffi (NVML power readings) loads a native module at run time: required from node_modules, never bundled.
  { entryPoints: ['client/src/extension.ts'], outfile: `${outdir}/client.js`, external: ['vscode', 'koffi'] },
  { entryPoints: ['server/src/server.ts'], outfile: `${outdir}/server.js` },
  { entryPoints: ['server/src/cli.ts'], outfile: `${outdir}/cli.js`, banner: { js: '#!/usr/bin/env node' }, external: ['koffi'] },
  // The power panel's webview page: a browser IIFE with uPlot bundled in, and its CSS with uPlot's (nothing loaded remotely).
  { entryPoints: ['client/media/powerPanel.ts'], outfile: `${outdir}/media/powerPanel.js`, platform: 'browser', format: 'iife', target: 'es2022' },
  { entryPoints: ['client/media/powerPanel.css'], outfile: `${outdir}/media/powerPanel.css`, platform: 'browser' },
];

async function copyWasm() {
  await mkdir(outdir, { recursive: true });
  const treeSitterWasm = path.join(path.dirname(require.resolve('web-tree-sitter')), 'web-tree-sitter.wasm');
  const pythonWasm = path.join(path.dirname(require.resolve('tree-sitter-python/package.json')), 'tree-sitter-python.wasm');
  await copyFile(treeSitterWasm, `${outdir}/web-tree-sitter.wasm`);
  await copyFile(pythonWasm, `${outdir}/tree-sitter-python.wasm`);
}

/**
 * koffi is external to the bundles (it loads a native module); the files it loads at run time are copied to dist/koffi
 * and its installed native package(s) to dist/@koromix (koffi finds them at ../../../@koromix from its loader), because
 * the .vsix is packaged without node_modules. Missing koffi only disables NVML, so a build without it goes on.
 */
async function copyKoffi() {
  const { cp, readdir } = await import('node:fs/promises');
  let root;
  try {
    root = path.dirname(require.resolve('koffi')); // its exports map hides package.json
  } catch {
    console.warn('koffi is not installed: NVML power readings will fall back to nvidia-smi');
    return;
  }
  for (const file of ['package.json', 'index.cjs', 'LICENSE.txt', 'src/koffi/index.cjs', 'src/koffi/src/static.cjs']) {
    await mkdir(path.dirname(`${outdir}/koffi/${file}`), { recursive: true });
    await copyFile(path.join(root, file), `${outdir}/koffi/${file}`);
  }
  const scope = path.join(root, '..', '@koromix');
  const natives = await readdir(scope).catch(() => []);
  for (const name of natives.filter((entry) => entry.startsWith('koffi-'))) {
    await cp(path.join(scope, name), `${outdir}/@koromix/${name}`, { recursive: true, filter: (source) => !source.endsWith('README.md') });
  }
}

if (!watch) await rm(outdir, { recursive: true, force: true });
await copyWasm();
await copyKoffi();
if (watch) {
  for (const entry of entries) await (await esbuild.context({ ...common, ...entry })).watch();
} else {
  await Promise.all(entries.map((entry) => esbuild.build({ ...common, ...entry })));
}
