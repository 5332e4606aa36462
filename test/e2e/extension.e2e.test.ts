// End-to-end: the packaged extension (build/green-ai.vsix) in real VS Code (code-server) driven through Chromium.
// Prerequisites: test/e2e/setup-code-server.sh and `npm run package` (test/e2e/run.sh does both).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { openWorkbench, type Workbench } from "./browser";
import { readWorkspaceFile, startCodeServer, type CodeServer } from "./codeServer";
import {
  applyQuickFix,
  codeLens,
  editorTab,
  goTo,
  hoverText,
  openFile,
  restrictedModeIndicator,
  saveActiveEditor,
  statusBarItem,
  viewLine,
  waitForProblemGone,
  waitForProblems,
} from "./workbench";

// npm runs scripts from the package root; mocha is started there.
const E2E_DIR = resolve("test/e2e");
const WORKSPACE_TEMPLATE = resolve(E2E_DIR, "workspace");
const ARTIFACTS_DIR = resolve(E2E_DIR, "artifacts");
const VSIX = resolve(process.env.GREEN_AI_E2E_VSIX ?? "build/green-ai.vsix");
const FIXTURE = "train.py";
const DATALOADER_LINE_TEXT = "loader = DataLoader(ds, batch_size=64, shuffle=True)";
/** First analysis includes activation and the parser's start; later ones are much faster. */
const DIAGNOSTICS_TIMEOUT_MS = 45_000;

if (!existsSync(WORKSPACE_TEMPLATE)) throw new Error(`${WORKSPACE_TEMPLATE} missing: run mocha from the repository root`);

/** 1-based line and column of `text` in the pristine fixture. */
function positionInFixture(text: string, offsetInText = 0): { line: number; column: number } {
  const lines = readFileSync(resolve(WORKSPACE_TEMPLATE, FIXTURE), "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${FIXTURE} has no line containing ${JSON.stringify(text)}`);
  return { line: index + 1, column: (lines[index] ?? "").indexOf(text) + 1 + offsetInText };
}

/** The scenario id that starts a test title ("quick-fix: adds …" → "quick-fix"); it names the screenshot. */
function scenarioId(title: string): string {
  const id = /^([a-z0-9-]+):/.exec(title)?.[1];
  return id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/**
 * One code-server + one Chromium page for a describe block: started in `before`, a screenshot after every test
 * (`test/e2e/artifacts/<scenario id>.png`), the code-server log tail on failure, everything stopped in `after`.
 */
function useWorkbench(name: string, restrictedMode: boolean): () => { server: CodeServer; workbench: Workbench } {
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(async function () {
    this.timeout(120_000);
    const started = Date.now();
    server = await startCodeServer({ name, vsix: VSIX, workspaceTemplate: WORKSPACE_TEMPLATE, restrictedMode, artifactsDir: ARTIFACTS_DIR });
    const serverMs = Date.now() - started;
    try {
      workbench = await openWorkbench(server.workbenchUrl, ARTIFACTS_DIR);
    } catch (error) {
      console.log(`      [e2e] the workbench did not load; code-server log ${server.logPath}, last lines:\n${server.logTail(40)}`);
      throw error;
    }
    console.log(`      [e2e] ${name}: extension installed + code-server up in ${serverMs} ms, workbench loaded in ${Date.now() - started - serverMs} ms`);
  });

  afterEach(async function () {
    const test = this.currentTest;
    if (!test || !workbench) return;
    const shot = await workbench.screenshot(scenarioId(test.title)).catch((error: unknown) => `(screenshot failed: ${String(error)})`);
    console.log(`      [e2e] ${test.state ?? "?"} in ${test.duration ?? "?"} ms, screenshot ${shot}`);
    if (test.state === "failed") {
      console.log(`      [e2e] last screenshot: ${shot}\n      [e2e] code-server log ${server?.logPath}, last lines:\n${server?.logTail(40)}`);
    }
  });

  after(async function () {
    this.timeout(30_000);
    await workbench?.close();
    await server?.stop();
  });

  return () => {
    if (!server || !workbench) throw new Error(`the ${name} workbench did not start; see the before hook's error`);
    return { server, workbench };
  };
}

describe("Green AI in VS Code (code-server + Chromium)", function () {
  this.timeout(60_000);

  describe("trusted workspace", function () {
    const current = useWorkbench("trusted", false);

    it("problems: lists GA201 and GA501 for train.py in the Problems panel", async function () {
      const { page } = current().workbench;
      await openFile(page, FIXTURE);
      const rows = await waitForProblems(page, ["GA201", "GA501"], DIAGNOSTICS_TIMEOUT_MS);
      assert.ok(rows.some((row) => row.includes("GA202")), `GA202 missing from the Problems panel:\n${rows.join("\n")}`);
    });

    it("hover: shows num_workers advice on the DataLoader squiggle", async function () {
      const { page } = current().workbench;
      const editor = await openFile(page, FIXTURE);
      const text = await hoverText(page, editor, DATALOADER_LINE_TEXT, "DataLoader", "num_workers");
      assert.match(text, /num_workers/);
    });

    it("status-bar: shows the Green AI item", async function () {
      const { page } = current().workbench;
      await statusBarItem(page, "Green AI").waitFor({ state: "visible" });
    });

    it("quick-fix: adds num_workers with the GA201 quick fix", async function () {
      const { server, workbench } = current();
      const { page } = workbench;
      const editor = await openFile(page, FIXTURE);
      const { line, column } = positionInFixture("DataLoader(", 2);
      await goTo(page, line, column);
      await applyQuickFix(page, "num_workers");
      await viewLine(editor, "num_workers=").waitFor({ state: "visible" });
      await page.locator(".tab.active.dirty").waitFor({ state: "visible" });
      await saveActiveEditor(page);
      await page.locator(".tab.active:not(.dirty)").waitFor({ state: "visible" }); // written to disk
      const saved = await readWorkspaceFile(server, FIXTURE);
      const fixedLine = saved.split("\n").find((text) => text.includes("loader = DataLoader("));
      assert.match(fixedLine ?? "", /num_workers=/, `the DataLoader line after the fix: ${fixedLine}`);
      // The server re-analyses the edited document: GA201 goes, GA202 (pin_memory) stays.
      await waitForProblemGone(page, "GA201", DIAGNOSTICS_TIMEOUT_MS);
      await waitForProblems(page, ["GA202", "GA501"], 5_000);
    });

    it("code-lens: shows the run's energy and CO2e above the Trainer and opens the estimate", async function () {
      const { page } = current().workbench;
      const editor = await openFile(page, "finetune.py");
      // The lens sits above the Trainer's entry point near the end of the file: bring it into view.
      const lines = readFileSync(resolve(WORKSPACE_TEMPLATE, "finetune.py"), "utf8").split("\n");
      await goTo(page, lines.findIndex((line) => line.startsWith("trainer.train(")) + 1, 1);
      const lens = codeLens(editor, "kWh");
      await lens.waitFor({ state: "visible", timeout: DIAGNOSTICS_TIMEOUT_MS });
      const title = (await lens.innerText()).trim();
      assert.match(title, /^≈ [\d.,]+ k?Wh · [\d.,]+ k?g CO2e \(1× A100-SXM4-80GB, world average\)/, title);
      await lens.locator("a").first().click();
      await editorTab(page, "Estimate finetune.py").waitFor({ state: "visible" });
      // The Markdown preview is a webview: an outer iframe holding the rendered document in an inner one.
      const preview = page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
      await preview.locator("h1", { hasText: "Green AI estimate" }).waitFor({ state: "visible", timeout: 20_000 });
      const body = await preview.locator("body").innerText();
      assert.match(body, /How it is computed/);
      assert.match(body, /Inputs and where they came from/);
      assert.match(body, /greenAI\.hardware\.gpu/);
    });
  });

  describe("restricted mode (untrusted workspace)", function () {
    const current = useWorkbench("restricted", true);

    it("restricted-mode: still lists Green AI diagnostics", async function () {
      const { page } = current().workbench;
      await restrictedModeIndicator(page).waitFor({ state: "visible" });
      await openFile(page, FIXTURE);
      await waitForProblems(page, ["GA201", "GA501"], DIAGNOSTICS_TIMEOUT_MS);
    });
  });
});
