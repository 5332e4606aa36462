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
  { entryPoints: ['client/src/extension.ts'], outfile: `${outdir}/client.js`, external: ['vscode'] },
  { entryPoints: ['server/src/server.ts'], outfile: `${outdir}/server.js` },
  { entryPoints: ['server/src/cli.ts'], outfile: `${outdir}/cli.js`, banner: { js: '#!/usr/bin/env node' } },
];

async function copyWasm() {
  await mkdir(outdir, { recursive: true });
  const treeSitterWasm = path.join(path.dirname(require.resolve('web-tree-sitter')), 'web-tree-sitter.wasm');
  const pythonWasm = path.join(path.dirname(require.resolve('tree-sitter-python/package.json')), 'tree-sitter-python.wasm');
  await copyFile(treeSitterWasm, `${outdir}/web-tree-sitter.wasm`);
  await copyFile(pythonWasm, `${outdir}/tree-sitter-python.wasm`);
}

if (!watch) await rm(outdir, { recursive: true, force: true });
await copyWasm();
if (watch) {
  for (const entry of entries) await (await esbuild.context({ ...common, ...entry })).watch();
} else {
  await Promise.all(entries.map((entry) => esbuild.build({ ...common, ...entry })));
}
