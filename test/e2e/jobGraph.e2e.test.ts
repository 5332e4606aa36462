// End-to-end: the job graph in real VS Code. The workspace is the multi-file job test/fixtures/jobs/torchrun-deepspeed
// (SLURM → torchrun → train.py → train_args.yaml → ds_config.json): editing --nproc_per_node in the batch script
// updates the Problems of the DeepSpeed config (GA704, another file) as well as the script's own (GA701), and undoing
// the edit clears both. The batch script shows the job's code lens.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { openWorkbench, type Workbench } from "./browser";
import { startCodeServer, type CodeServer } from "./codeServer";
import { codeLens, goTo, openFile, waitForProblemGone, waitForProblems } from "./workbench";

const WORKSPACE_TEMPLATE = resolve("test/fixtures/jobs/torchrun-deepspeed");
const ARTIFACTS_DIR = resolve("test/e2e/artifacts");
const VSIX = resolve(process.env.GREEN_AI_E2E_VSIX ?? "build/green-ai.vsix");
const BATCH_SCRIPT = "train.sbatch";
const NPROC = "--nproc_per_node=";
const DIAGNOSTICS_TIMEOUT_MS = 45_000;

/** 1-based line and column just after `--nproc_per_node=` in the pristine batch script. */
function nprocPosition(): { line: number; column: number } {
  const lines = readFileSync(resolve(WORKSPACE_TEMPLATE, BATCH_SCRIPT), "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(NPROC));
  if (index < 0) throw new Error(`${BATCH_SCRIPT} has no ${NPROC}`);
  return { line: index + 1, column: lines[index]!.indexOf(NPROC) + NPROC.length + 1 };
}

describe("Green AI job graph in VS Code (code-server + Chromium)", function () {
  this.timeout(90_000);
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(async function () {
    this.timeout(120_000);
    server = await startCodeServer({ name: "job-graph", vsix: VSIX, workspaceTemplate: WORKSPACE_TEMPLATE, restrictedMode: false, artifactsDir: ARTIFACTS_DIR });
    try {
      workbench = await openWorkbench(server.workbenchUrl, ARTIFACTS_DIR);
    } catch (error) {
      console.log(`      [e2e] the workbench did not load; code-server log ${server.logPath}, last lines:\n${server.logTail(40)}`);
      throw error;
    }
  });

  afterEach(async function () {
    const test = this.currentTest;
    if (!test || !workbench) return;
    const shot = await workbench.screenshot("job-graph").catch((error: unknown) => `(screenshot failed: ${String(error)})`);
    console.log(`      [e2e] ${test.state ?? "?"} in ${test.duration ?? "?"} ms, screenshot ${shot}`);
    if (test.state === "failed") console.log(`      [e2e] code-server log ${server?.logPath}, last lines:\n${server?.logTail(40)}`);
  });

  after(async function () {
    this.timeout(30_000);
    await workbench?.close();
    await server?.stop();
  });

  it("job-graph: editing --nproc_per_node in the batch script updates the DeepSpeed config's Problems", async function () {
    assert.ok(workbench, "the workbench started");
    const { page } = workbench;
    await openFile(page, "ds_config.json");
    const editor = await openFile(page, BATCH_SCRIPT);
    await codeLens(editor, "this job").waitFor({ state: "visible", timeout: DIAGNOSTICS_TIMEOUT_MS });
    await waitForProblemGone(page, "GA704", 5_000);

    const { line, column } = nprocPosition();
    await goTo(page, line, column);
    await page.keyboard.press("Shift+ArrowRight");
    await page.keyboard.type("1");
    const rows = await waitForProblems(page, ["GA701", "GA704"], DIAGNOSTICS_TIMEOUT_MS);
    assert.ok(rows.some((row) => row.includes("ds_config.json")), `the GA704 row belongs to ds_config.json:\n${rows.join("\n")}`);

    await page.keyboard.press("Control+Z");
    await waitForProblemGone(page, "GA704", DIAGNOSTICS_TIMEOUT_MS);
    await waitForProblemGone(page, "GA701", DIAGNOSTICS_TIMEOUT_MS);
  });
});
