// End-to-end: the packaged extension (build/green-ai.vsix) in real VS Code (code-server) driven through Chromium.
// Prerequisites: test/e2e/setup-code-server.sh and `npm run package` (test/e2e/run.sh does both).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { openWorkbench, type Workbench } from "./browser";
import { readWorkspaceFile, startCodeServer, type CodeServer } from "./codeServer";
import {
  applyQuickFix,
  clickUntilVisible,
  codeLens,
  contextMenuAction,
  editorTab,
  expandedViewPane,
  goTo,
  hoverText,
  openFile,
  restrictedModeIndicator,
  saveActiveEditor,
  statusBarItem,
  viewLine,
  visibleNotifications,
  waitForProblemGone,
  waitForProblems,
  waitForTerminalText,
  webviewFrameWith,
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
/** The profiled-run fixture: a ~2 s stand-in training loop behind a main guard. */
const PROFILED_SCRIPT = "profile_me.py";
/** green-ai run measures a 3 s idle baseline, then the ~2 s script, then writes run.json. */
const PROFILED_RUN_TIMEOUT_MS = 60_000;

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
      console.log(`      [e2e] notifications on screen: ${(await visibleNotifications(workbench.page)).join(" | ") || "none"}`);
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
      const lens = codeLens(editor, "Wh · ");
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

  describe("profiled runs", function () {
    const current = useWorkbench("profiled-runs", false);

    it("profiled-run: runs a script from the code lens, shows it in the terminal and the Runs view, and opens its report", async function () {
      this.timeout(150_000);
      const { server, workbench } = current();
      const { page } = workbench;
      const editor = await openFile(page, PROFILED_SCRIPT);
      const lens = codeLens(editor, "Run with energy profiling");
      await lens.waitFor({ state: "visible", timeout: DIAGNOSTICS_TIMEOUT_MS });
      await lens.locator("a", { hasText: "Run with energy profiling" }).first().click();

      // The task runs `green-ai run … -- python3 profile_me.py` in the integrated terminal: the script's output, then the recorder's summary.
      const terminal = await waitForTerminalText(page, "green-ai run: completed", PROFILED_RUN_TIMEOUT_MS);
      assert.match(terminal, /epoch 3 done/);
      assert.match(terminal, /green-ai run: recorded in /);
      const runsDir = resolve(server.workspace, ".green-ai", "runs");
      const runDirs = readdirSync(runsDir).filter((name) => existsSync(resolve(runsDir, name, "run.json")));
      assert.equal(runDirs.length, 1, `run folders with run.json under ${runsDir}: ${runDirs.join(", ")}`);
      const record = JSON.parse(readFileSync(resolve(runsDir, runDirs[0]!, "run.json"), "utf8")) as { label?: string; status: string; command: string[] };
      assert.equal(record.label, "profile_me");
      assert.equal(record.status, "completed");
      assert.deepEqual(record.command.slice(-1), [PROFILED_SCRIPT]);

      // The Runs view (Explorer) lists it, refreshed by its file watcher, with its figures.
      await page.keyboard.press("Control+Shift+E");
      const pane = await expandedViewPane(page, "Green AI Runs");
      const row = pane.locator(".monaco-list-row", { hasText: "profile_me" }).first();
      await row.waitFor({ state: "visible", timeout: 20_000 });
      const rowText = (await row.innerText()).replace(/\s+/g, " ");
      assert.match(rowText, /profile_me.*?\d+ s · [\d.,]+ (m|k)?Wh · [\d.,]+ (m|k)?g CO2e · (measured|estimated|partly measured)/, rowText);

      // The lens above the entry point now reports the last run.
      await openFile(page, PROFILED_SCRIPT);
      await codeLens(editor, "last run").waitFor({ state: "visible", timeout: 20_000 });

      // Clicking the run opens the footprint report webview.
      await clickUntilVisible(page, row, editorTab(page, "Footprint: profile_me"), "open the report tab");
      const report = await webviewFrameWith(page, "h1", "Energy and carbon footprint report", 20_000);
      const body = (await report.locator("body").innerText()).replace(/\s+/g, " ");
      assert.match(body, /profile_me/);
      assert.match(body, /Energy per run/);
      assert.equal(await report.locator("svg.energy-chart rect.bar.current").count(), 1);
      assert.equal(await report.locator("script").count(), 0);
    });

    it("runs-view: compares two runs side by side and deletes one after confirmation", async function () {
      this.timeout(150_000);
      const { server, workbench } = current();
      const { page } = workbench;
      const runsDir = resolve(server.workspace, ".green-ai", "runs");
      const finishedRuns = () => (existsSync(runsDir) ? readdirSync(runsDir).filter((name) => existsSync(resolve(runsDir, name, "run.json"))) : []);
      assert.equal(finishedRuns().length, 1, "the profiled-run scenario leaves one run");

      // A second run of the same script, again from its lens. The report webview has focus: back to the editor first.
      await editorTab(page, PROFILED_SCRIPT).click();
      const editor = await openFile(page, PROFILED_SCRIPT);
      await codeLens(editor, "Run with energy profiling").locator("a", { hasText: "Run with energy profiling" }).first().click();
      const pane = await expandedViewPane(page, "Green AI Runs");
      const rows = pane.locator(".monaco-list-row", { hasText: "profile_me" });
      const deadline = Date.now() + PROFILED_RUN_TIMEOUT_MS;
      while ((await rows.count()) < 2 || finishedRuns().length < 2) {
        if (Date.now() > deadline) throw new Error(`the second run did not appear: ${await rows.count()} rows, run folders ${finishedRuns().join(", ")}`);
        await page.waitForTimeout(250);
      }

      // Select both, then Compare Runs from the context menu: a Markdown table side by side.
      // The view may still refresh once after the run folder settles; a refresh during the clicks can drop one.
      for (let attempt = 1; ; attempt++) {
        await rows.nth(0).click();
        await rows.nth(1).click({ modifiers: ["Control"] });
        const selected = await pane.locator(".monaco-list-row.selected", { hasText: "profile_me" }).count();
        if (selected === 2) break;
        console.log(`      [e2e] selection ${attempt}/3 holds ${selected} of the two runs`);
        if (attempt === 3) assert.fail(`two runs selected, found ${selected}`);
        await page.waitForTimeout(500);
      }
      await contextMenuAction(page, rows.nth(1), "Compare Runs");
      // Both runs are labelled profile_me: the comparison names them by run id (start time + label).
      await editorTab(page, "Compare ").waitFor({ state: "visible" });
      const comparison = await webviewFrameWith(page, "h1", "-profile_me vs ", 20_000);
      const table = (await comparison.locator("table").innerText()).replace(/\s+/g, " ");
      assert.match(table, /(\d{8}T\d{6}Z)-profile_me (?!\1)\d{8}T\d{6}Z-profile_me change/, table);
      assert.match(table, /energy \(IT\) [\d.,]+ (m|k)?Wh [\d.,]+ (m|k)?Wh/, table);

      // Delete the older run: a modal asks first; the folder goes and the view follows.
      await rows.nth(1).click();
      await contextMenuAction(page, rows.nth(1), "Delete Run");
      const dialog = page.locator(".monaco-dialog-box");
      await dialog.waitFor({ state: "visible" });
      assert.match(await dialog.innerText(), /Delete the run "profile_me" and its files\?/);
      await dialog.locator(".monaco-button", { hasText: "Delete" }).first().click();
      await rows.nth(1).waitFor({ state: "detached", timeout: 20_000 });
      assert.equal(finishedRuns().length, 1, `run folders left: ${finishedRuns().join(", ")}`);
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

    it("restricted-run: the profiling lens says runs are disabled in Restricted Mode", async function () {
      const { page } = current().workbench;
      const editor = await openFile(page, PROFILED_SCRIPT);
      await codeLens(editor, "disabled in Restricted Mode").waitFor({ state: "visible", timeout: DIAGNOSTICS_TIMEOUT_MS });
    });
  });
});
