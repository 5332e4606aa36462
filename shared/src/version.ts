/** The extension's version, inlined by esbuild from package.json; "dev" when running from sources. */
declare const __GREEN_AI_VERSION__: string | undefined;
export const VERSION: string = typeof __GREEN_AI_VERSION__ === 'string' ? __GREEN_AI_VERSION__ : 'dev';
