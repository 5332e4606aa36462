// End-to-end: the live power panel and the power status bar item in real VS Code (code-server + Chromium), on this
// machine's real CPU reading (RAPL where readable, else the labelled load × TDP estimate) and GPU rows replayed by the
// fake nvidia-smi in test/fixtures/power/ (named by the greenAI.power.nvidiaSmiPath workspace setting) from
// fixtures/power-stream.csv, with a `--help-query-gpu` text (fixtures/power-help.txt) that offers only the fields that
// recording has, both passed to it through code-server's environment.
import assert from "node:assert/strict";
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { openWorkbench, type Workbench } from "./browser";
import { startCodeServer, type CodeServer } from "./codeServer";
import { clickUntilVisible, editorTab, openFile, visibleNotifications } from "./workbench";

const E2E_DIR = resolve("test/e2e");
const WORKSPACE_TEMPLATE = resolve(E2E_DIR, "workspace");
const ARTIFACTS_DIR = resolve(E2E_DIR, "artifacts");
const VSIX = resolve(process.env.GREEN_AI_E2E_VSIX ?? "build/green-ai.vsix");
const FAKE_NVIDIA_SMI = resolve("test/fixtures/power/fake-nvidia-smi.js");
const FAKE_STREAM = resolve(E2E_DIR, "fixtures", "power-stream.csv");
const FAKE_HELP = resolve(E2E_DIR, "fixtures", "power-help.txt");
/** Activation, the sampler's probes and the first samples. */
const PANEL_TIMEOUT_MS = 30_000;

/** Whether this machine has a RAPL package counter the extension may read (root or `chmod o+r`). */
function raplReadable(root = "/sys/class/powercap"): boolean {
  try {
    return readdirSync(root).some((zone) => {
      try {
        accessSync(join(root, zone, "energy_uj"), constants.R_OK);
        return /^intel-rapl:\d+$/.test(zone);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/**
 * Runs a command from the palette (Ctrl+Shift+P). Right after the workbench loads the palette may not list the
 * extension's commands yet (its manifest is still being read), so it is closed and opened again until it does.
 */
async function runCommand(page: Page, title: string, timeoutMs: number): Promise<void> {
  const input = page.locator(".quick-input-widget .quick-input-box input");
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press("Control+Shift+P");
    await input.waitFor({ state: "visible" });
    await input.fill(`>${title}`);
    try {
      await row.waitFor({ state: "visible", timeout: 2_000 });
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the command palette did not list ${JSON.stringify(title)} within ${timeoutMs} ms`, { cause: error });
      await page.keyboard.press("Escape");
      await input.waitFor({ state: "hidden" });
    }
  }
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden" });
}

/**
 * One code-server whose workspace settings point greenAI.power.nvidiaSmiPath at the fake, and one Chromium page, for a
 * describe block; a screenshot after every test (`artifacts/<scenario id>.png`), everything stopped in `after`.
 */
function usePowerWorkbench(name: string, restrictedMode: boolean): () => Workbench {
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(async function () {
    this.timeout(120_000);
    if (!existsSync(FAKE_NVIDIA_SMI)) throw new Error(`${FAKE_NVIDIA_SMI} missing`);
    // code-server copies this process's environment at start; the fake nvidia-smi it runs reads the stream from it.
    process.env.FAKE_NVSMI_STREAM = FAKE_STREAM;
    process.env.FAKE_NVSMI_HELP = FAKE_HELP;
    server = await startCodeServer({ name, vsix: VSIX, workspaceTemplate: WORKSPACE_TEMPLATE, restrictedMode, artifactsDir: ARTIFACTS_DIR });
    // The workspace copy exists before the workbench connects and the extension activates: its settings apply from the start.
    await mkdir(join(server.workspace, ".vscode"), { recursive: true });
    await writeFile(
      join(server.workspace, ".vscode", "settings.json"),
      JSON.stringify({ "greenAI.power.nvidiaSmiPath": FAKE_NVIDIA_SMI, "greenAI.power.intervalMs": 500 }, null, 2),
    );
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
    const shot = await workbench.screenshot(/^([a-z0-9-]+):/.exec(test.title)?.[1] ?? name).catch((error: unknown) => `(screenshot failed: ${String(error)})`);
    console.log(`      [e2e] ${test.state ?? "?"} in ${test.duration ?? "?"} ms, screenshot ${shot}`);
    if (test.state === "failed") {
      console.log(`      [e2e] code-server log ${server?.logPath}, last lines:\n${server?.logTail(40)}`);
      console.log(`      [e2e] notifications on screen: ${(await visibleNotifications(workbench.page)).join(" | ") || "none"}`);
    }
  });

  after(async function () {
    this.timeout(30_000);
    await workbench?.close();
    await server?.stop();
    delete process.env.FAKE_NVSMI_STREAM;
    delete process.env.FAKE_NVSMI_HELP;
  });

  return () => {
    if (!workbench) throw new Error(`the ${name} workbench did not start; see the before hook's error`);
    return workbench;
  };
}

/** The power panel's page: a webview is an outer iframe holding the page in an inner one. */
function panelFrame(page: Page) {
  return page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
}

describe("Green AI power panel in VS Code (code-server + Chromium)", function () {
  this.timeout(60_000);

  describe("trusted workspace", function () {
    const current = usePowerWorkbench("power", false);

    it("power-panel: opens from the command palette with the real CPU reading, replayed GPU rows and the status item", async function () {
      const { page } = current();
      // The panel's page must run under its Content-Security-Policy without violations (webview frames log to this page).
      const violations: string[] = [];
      page.on("console", (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
      });

      await runCommand(page, "Green AI: Show Power Panel", PANEL_TIMEOUT_MS);

      const panel = panelFrame(page);
      const gpuRows = panel.locator('tr[data-component-id^="gpu:"]');
      await gpuRows.nth(1).waitFor({ state: "visible", timeout: PANEL_TIMEOUT_MS });

      // fixtures/power-stream.csv: an H100 at 312.5 W, 87 %, 20480 of 81559 MiB; an A100 in MIG mode with power [N/A].
      const h100 = panel.locator('tr[data-component-id="gpu:GPU-11111111-2222-3333-4444-555555555555"]');
      assert.match(await h100.locator("td.name").innerText(), /H100/);
      assert.equal((await h100.locator("td.watts").innerText()).trim(), "313 W");
      assert.equal((await h100.locator("td.utilization").innerText()).trim(), "87%");
      assert.equal((await h100.locator("td.memory").innerText()).trim(), "20,480 / 81,559 MiB (25%)");
      assert.match(await h100.locator("td.source").innerText(), /^nvidia-smi power\.draw\b/);
      const a100 = panel.locator('tr[data-component-id="gpu:GPU-66666666-7777-8888-9999-000000000000"]');
      assert.equal((await a100.locator("td.watts").innerText()).trim(), "—", "[N/A] power shows as no reading, not 0 W");
      assert.match(await a100.locator("td.name").innerText(), /MIG/);

      // The CPU row is this machine's own reading, labelled with how it was obtained.
      const cpu = panel.locator('tr[data-component-id^="cpu:"]').first();
      await cpu.waitFor({ state: "visible" });
      const method = await cpu.getAttribute("data-method");
      const cpuSource = await cpu.locator("td.source").innerText();
      if (raplReadable()) {
        assert.equal(method, "rapl", cpuSource);
        assert.match(cpuSource, /RAPL/);
      } else {
        assert.equal(method, "estimated", `no readable RAPL counter here, so the CPU must be the labelled estimate; got ${method}: ${cpuSource}`);
        assert.match(cpuSource, /^estimated from load\b/);
      }
      assert.match((await cpu.locator("td.watts").innerText()).trim(), /^\d+(\.\d)? W$/);

      // Energy and CO2e count since the panel opened; the chart is drawn; the status item shows the total.
      await panel.locator("#session-co2e", { hasText: "CO2e" }).waitFor({ state: "visible" });
      assert.match(await panel.locator("#session-label").innerText(), /since .*panel opened/);
      assert.match(await panel.locator("#carbon-note").innerText(), /world average, \d+ g CO2e\/kWh/);
      assert.match((await panel.locator("#total-watts").innerText()).trim(), /^\d+ W$/);
      await panel.locator("#chart .uplot canvas").first().waitFor({ state: "visible" });
      const status = page.locator(".part.statusbar .statusbar-item", { hasText: /^\s*\d+ W\s*$/ }).first();
      await status.waitFor({ state: "visible", timeout: PANEL_TIMEOUT_MS });
      assert.deepEqual(violations, [], "Content-Security-Policy violations while the power panel was open");
    });

    it("power-panel-restore: keeps its chart and numbers when hidden behind an editor and shown again", async function () {
      const { page } = current();
      const panel = panelFrame(page);
      const chart = panel.locator("#chart");
      const pointsShown = async () => Number((await chart.getAttribute("data-points")) ?? "0");
      const before = await pointsShown();
      assert.ok(before >= 1, `the panel from the previous scenario has no samples (${before})`);

      // Another editor in the same group hides the panel; its webview is torn down (no retainContextWhenHidden).
      await openFile(page, "train.py");
      await page.locator("iframe.webview.ready").first().waitFor({ state: "hidden" });
      await editorTab(page, "Green AI: Power").click();

      await panel.locator('tr[data-component-id="gpu:GPU-11111111-2222-3333-4444-555555555555"] td.watts', { hasText: "313 W" }).waitFor({ state: "visible", timeout: PANEL_TIMEOUT_MS });
      await panel.locator("#chart .uplot canvas").first().waitFor({ state: "visible" });
      const after = await pointsShown();
      assert.ok(after >= before, `the re-shown chart holds ${after} samples, fewer than the ${before} it had`);
      assert.match(await panel.locator("#session-label").innerText(), /panel opened/, "energy still counts since the panel opened");
    });

    it("power-status: shows the total in the status bar and opens the panel when clicked", async function () {
      const { page } = current();
      const tab = editorTab(page, "Green AI: Power");
      await tab.click();
      await tab.locator(".tab-actions .action-label").first().click(); // close the panel
      await tab.waitFor({ state: "detached" });
      const status = page.locator(".part.statusbar .statusbar-item", { hasText: /^\s*\d+ W\s*$/ }).first();
      await status.waitFor({ state: "visible" }); // the status item keeps sampling without the panel
      await status.click();
      await tab.waitFor({ state: "visible" });
      await panelFrame(page).locator('tr[data-component-id^="gpu:"]').first().waitFor({ state: "visible", timeout: PANEL_TIMEOUT_MS });
    });

    it("power-panel-reload: is restored by its serializer after a window reload", async function () {
      // A reload restarts the workbench, the extension host and the sampler: three waits of up to 30 s each.
      this.timeout(150_000);
      const { page } = current();
      await page.reload({ waitUntil: "domcontentloaded" });
      await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: PANEL_TIMEOUT_MS });
      const tab = editorTab(page, "Green AI: Power");
      await tab.waitFor({ state: "visible", timeout: PANEL_TIMEOUT_MS });
      // Right after a reload the tab strip may still be restoring: a click then can be lost; click until the tab is active.
      await clickUntilVisible(page, tab, page.locator(".tabs-container .tab.active", { hasText: "Green AI: Power" }), "activate the restored power panel tab");
      const panel = panelFrame(page);
      await panel.locator('tr[data-component-id="gpu:GPU-11111111-2222-3333-4444-555555555555"] td.watts', { hasText: "313 W" }).waitFor({ state: "visible", timeout: PANEL_TIMEOUT_MS });
      assert.match(await panel.locator("#session-label").innerText(), /panel opened/);
    });
  });

  describe("restricted mode (untrusted workspace)", function () {
    const current = usePowerWorkbench("power-restricted", true);

    it("power-panel-restricted: ignores the workspace's nvidia-smi path and still shows the CPU", async function () {
      const { page } = current();
      await page.locator(".part.statusbar .statusbar-item", { hasText: "Restricted Mode" }).first().waitFor({ state: "visible" });
      await runCommand(page, "Green AI: Show Power Panel", PANEL_TIMEOUT_MS);
      const panel = panelFrame(page);
      await panel.locator('tr[data-component-id^="cpu:"]').first().waitFor({ state: "visible", timeout: PANEL_TIMEOUT_MS });
      // Several samples in, still no GPU row: the fake named by the untrusted workspace was never run.
      await panel.locator('#chart[data-points]:not([data-points="0"]):not([data-points="1"]):not([data-points="2"])').waitFor({ state: "attached", timeout: PANEL_TIMEOUT_MS });
      assert.equal(await panel.locator('tr[data-component-id^="gpu:"]').count(), 0, "a GPU row came from the workspace's nvidia-smi");
      // The reason is on screen, and the panel lists what it tried.
      assert.match(await panel.locator("#notes").innerText(), /Restricted Mode: greenAI\.power\.nvidiaSmiPath .*user settings only/);
      assert.match((await panel.locator("#sources").textContent()) ?? "", /skipped: nvidia-smi/);
    });
  });
});
