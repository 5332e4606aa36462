// End-to-end: a Jupyter notebook in real VS Code (code-server + Chromium). The notebook opens in VS Code's built-in
// notebook editor (the `jupyter-notebook` type of the bundled ipynb extension, no kernel needed); the client syncs its
// Python cells to the server (LSP notebook sync), and the findings of the cells show in the Problems panel.
import assert from "node:assert/strict";
import { copyFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { openWorkbench, type Workbench } from "./browser";
import { readWorkspaceFile, startCodeServer, type CodeServer } from "./codeServer";
import { applyQuickFix, saveActiveEditor, showProblems, waitForProblemGone, waitForProblems } from "./workbench";

const E2E_DIR = resolve("test/e2e");
const WORKSPACE_TEMPLATE = resolve(E2E_DIR, "workspace");
const ARTIFACTS_DIR = resolve(E2E_DIR, "artifacts");
const VSIX = resolve(process.env.GREEN_AI_E2E_VSIX ?? "build/green-ai.vsix");
const NOTEBOOK = resolve("examples/notebooks/finetune_classifier.ipynb");
/** Activation on the notebook, the parser's start and the first analysis. */
const DIAGNOSTICS_TIMEOUT_MS = 45_000;

describe("Green AI on a Jupyter notebook (code-server + Chromium)", function () {
  this.timeout(60_000);
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(async function () {
    this.timeout(120_000);
    server = await startCodeServer({ name: "notebook", vsix: VSIX, workspaceTemplate: WORKSPACE_TEMPLATE, restrictedMode: false, artifactsDir: ARTIFACTS_DIR });
    await copyFile(NOTEBOOK, join(server.workspace, "finetune_classifier.ipynb"));
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
    const shot = await workbench.screenshot("notebook").catch((error: unknown) => `(screenshot failed: ${String(error)})`);
    console.log(`      [e2e] ${test.state ?? "?"} in ${test.duration ?? "?"} ms, screenshot ${shot}`);
    if (test.state === "failed") console.log(`      [e2e] code-server log ${server?.logPath}, last lines:\n${server?.logTail(40)}`);
  });

  after(async function () {
    this.timeout(30_000);
    await workbench?.close();
    await server?.stop();
  });

  it("notebook: lists the findings of the notebook's cells in the Problems panel", async function () {
    const { page } = workbench!;
    await page.keyboard.press("Control+P");
    const input = page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible" });
    await input.fill("finetune_classifier.ipynb");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "finetune_classifier.ipynb" }).first().waitFor({ state: "visible" });
    await page.keyboard.press("Enter");
    await page.locator(".tab.active", { hasText: "finetune_classifier.ipynb" }).waitFor({ state: "visible" });
    await page.locator(".notebookOverlay .cell-list-container").first().waitFor({ state: "visible" });
    const rows = await waitForProblems(page, ["GA101", "GA201", "GA301"], DIAGNOSTICS_TIMEOUT_MS);
    assert.ok(rows.some((row) => row.includes("GA202")), `GA202 missing from the Problems panel:\n${rows.join("\n")}`);
  });

  it("notebook-quick-fix: applies the GA201 fix from a cell, which edits two cells and clears the finding", async function () {
    const { page } = workbench!;
    // Double-clicking the problem puts the cursor on the finding and the focus in the cell's own editor.
    await (await showProblems(page)).filter({ hasText: "GA201" }).first().dblclick();
    await page.locator(".notebookOverlay .monaco-editor.focused").waitFor({ state: "visible" });
    await applyQuickFix(page, "num_workers");
    // The fix adds `import os` to the import cell and the argument to the DataLoader cell; the re-analysed notebook has no GA201.
    await waitForProblemGone(page, "GA201", DIAGNOSTICS_TIMEOUT_MS);
    await waitForProblems(page, ["GA202", "GA101", "GA301"], 5_000);
    // Cells off screen are not rendered: check the saved notebook instead.
    await saveActiveEditor(page);
    await page.locator(".tab.active:not(.dirty)", { hasText: "finetune_classifier.ipynb" }).waitFor({ state: "visible" });
    const saved = JSON.parse(await readWorkspaceFile(server!, "finetune_classifier.ipynb")) as { cells: { source: string[] | string }[] };
    const sources = saved.cells.map((cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source));
    assert.match(sources[2] ?? "", /^from torchvision import transforms\nimport os\n/m, `import os after the imports of cell 3:\n${sources[2]}`);
    assert.match(sources[4] ?? "", /train_loader = DataLoader\(train_set, batch_size=128, shuffle=True, num_workers=min\(8, os\.cpu_count\(\) or 1\)\)/, sources[4]);
  });
});
