/**
 * Runs the extension-host suite of test/extension (the same mocha tests `npm run test:vscode` runs in
 * desktop VS Code) inside code-server's extension host: the workbench's `payload` URL parameter names the
 * extension under development (this repository, built) and the bundled suite, and the workbench reports
 * the suite's exit code through `window.codeAutomationExit`.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { format } from "node:util";
import { openWorkbench, type Workbench } from "./browser";
import { startCodeServer, type CodeServer } from "./codeServer";
import { bundleExtensionSuite, ROOT } from "../extension/bundle";

const ARTIFACTS = path.join(__dirname, "artifacts");

describe("extension-host suite in code-server", function () {
  this.timeout(180_000);
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  afterEach(async () => {
    await workbench?.close();
    await server?.stop();
    workbench = undefined;
    server = undefined;
  });

  it("passes every test of test/extension against the built extension", async () => {
    const suite = await bundleExtensionSuite();
    server = await startCodeServer({
      name: "extension-host",
      workspaceTemplate: path.join(ROOT, "test", "extension", "workspace"),
      restrictedMode: false,
      artifactsDir: ARTIFACTS,
    });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server!.port}${p}`;
    const payload = JSON.stringify([
      ["extensionDevelopmentPath", remote(ROOT)],
      ["extensionTestsPath", remote(suite)],
    ]);
    const logs: string[] = [];
    let settle!: (code: number) => void;
    const exitCode = new Promise<number>((resolve) => (settle = resolve));
    workbench = await openWorkbench(`${server.workbenchUrl}&payload=${encodeURIComponent(payload)}`, ARTIFACTS, 60_000, 15_000, async (page) => {
      await page.exposeFunction("codeAutomationLog", (_type: string, args: unknown[]) => {
        logs.push(format(...(Array.isArray(args) ? args : [args])));
      });
      await page.exposeFunction("codeAutomationExit", (code: number) => settle(code));
    });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exitCode,
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no exit code after 150 s; log:\n${logs.join("\n")}`)), 150_000);
      }),
    ]).finally(() => clearTimeout(timer));
    await workbench.screenshot("extension-host-suite");
    const passed = logs.filter((line) => /✔|passing/.test(line));
    console.log(logs.filter((line) => /✔|passing|failing|\d+\) /.test(line)).map((l) => `      ${l.trim()}`).join("\n"));
    assert.equal(code, 0, `the extension-host suite failed:\n${logs.join("\n")}\n--- code-server log ---\n${server.logTail(40)}`);
    assert.ok(passed.length > 0, `the suite reported no passing test:\n${logs.join("\n")}`);
  });
});
