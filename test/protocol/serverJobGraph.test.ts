/**
 * The language server on the job fixtures agrees with the evaluation (and so with `green-ai check`,
 * test/protocol/cliJobGraph.test.ts): one workspace holding a copy of test/fixtures/jobs, every config and job script
 * opened, the config findings it publishes are what `npm run eval:rules` finds on those folders — launcher scripts
 * and Hydra options no launch selects included.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { configFormatOf } from '../../server/src/configs/configFile';
import { CONFIG_RULES } from '../../server/src/rules/config';
import { evaluateConfigs, JOBS_DIR } from '../../scripts/configEvaluation';
import { LspSession } from './lspSession';

const CONFIG_RULE_IDS = new Set(CONFIG_RULES.map((rule) => rule.meta.id));
const LANGUAGE: Record<string, string> = { yaml: 'yaml', yml: 'yaml', json: 'json', sh: 'shellscript', bash: 'shellscript', sbatch: 'slurm', slurm: 'slurm' };

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
}

describe('the language server on the job fixtures agrees with the config evaluation', function () {
  this.timeout(60_000);

  it('publishes, for every config and job script, the config findings the evaluation finds', async () => {
    const evaluation = evaluateConfigs({ configsDir: null, jobsDir: JOBS_DIR });
    // `jobs/<job>/<file>:<line> <rule>` (relative to test/fixtures/).
    const expected = evaluation.rules.flatMap((score) => [...score.held, ...score.falsePositives.map((fp) => fp.at)].map((at) => `${at} ${score.ruleId}`)).sort();

    const root = mkdtempSync(path.join(os.tmpdir(), 'green-ai-server-jobs-'));
    const workspace = path.join(root, 'jobs');
    cpSync(JOBS_DIR, workspace, { recursive: true });
    const session = new LspSession({ settings: () => ({}), workspaceFolder: workspace });
    await session.initialize();
    try {
      const files = filesUnder(workspace).filter((file) => !file.endsWith('.expect') && configFormatOf(undefined, file));
      for (const file of files) {
        const extension = path.extname(file).slice(1).toLowerCase();
        await session.open(pathToFileURL(file).href, readFileSync(file, 'utf8'), 1, LANGUAGE[extension]!);
      }
      const published: string[] = [];
      for (const file of files) {
        const uri = pathToFileURL(file).href;
        await session.diagnosticsFor(uri);
        // The latest publish: a later open may have rebuilt a job this file belongs to.
        const latest = await session.diagnosticsAfter(uri, session.publishedCount(uri) - 1);
        for (const d of latest) {
          if (CONFIG_RULE_IDS.has(String(d.code))) published.push(`jobs/${path.relative(workspace, file).split(path.sep).join('/')}:${d.range.start.line + 1} ${String(d.code)}`);
        }
      }
      assert.deepEqual(published.sort(), expected);
      assert.ok(expected.some((f) => f.startsWith('jobs/launcher-hydra-overrides/run_local.sh:')), 'the launcher script is a job in the server too');
    } finally {
      await session.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
