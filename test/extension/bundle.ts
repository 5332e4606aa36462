/** Bundles the extension-host suite (mocha included) into one CommonJS file that VS Code's extension host can load. */
import * as esbuild from 'esbuild';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');
export const SUITE_BUNDLE = path.join(ROOT, 'build', 'extension-tests', 'index.js');

export async function bundleExtensionSuite(): Promise<string> {
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'suite', 'index.ts')],
    outfile: SUITE_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // mocha 12 is an ES module; bundling it avoids depending on the host Node's require(esm) support.
    external: ['vscode'],
    logLevel: 'error',
  });
  return SUITE_BUNDLE;
}
