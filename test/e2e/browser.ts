// Opens the code-server workbench in Debian's Chromium through playwright-core (no browser download).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { guardTempDir } from "./processCleanup";

export const CHROMIUM_PATH = process.env.GREEN_AI_E2E_CHROMIUM ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface Workbench {
  page: Page;
  /** Saves a PNG of the page to `${artifactsDir}/${name}.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  lastScreenshot: string | undefined;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a throwaway profile, opens `workbenchUrl` and waits for the workbench.
 * `timeoutMs` bounds the launch and the page load; `actionTimeoutMs` is the default deadline of every later step.
 */
export async function openWorkbench(
  workbenchUrl: string,
  artifactsDir: string,
  timeoutMs = 60_000,
  actionTimeoutMs = 15_000,
  /** Runs before the page loads, e.g. to expose functions the workbench calls. */
  beforeNavigate?: (page: Page) => Promise<void>,
): Promise<Workbench> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run test/e2e/setup-code-server.sh (apt package chromium) or set GREEN_AI_E2E_CHROMIUM`);
  }
  const profile = await mkdtemp(join(tmpdir(), "green-ai-e2e-chromium-"));
  const profileGuard = guardTempDir(profile); // Playwright itself kills Chromium when the test process ends
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
    profileGuard.release();
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
      timeout: timeoutMs,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await beforeNavigate?.(page);
    await page.goto(workbenchUrl, { waitUntil: "domcontentloaded", timeout: timeoutMs });
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: timeoutMs });
    page.setDefaultTimeout(actionTimeoutMs);
    await mkdir(artifactsDir, { recursive: true });
    const workbench: Workbench = {
      page,
      lastScreenshot: undefined,
      async screenshot(name: string) {
        const path = join(artifactsDir, `${name}.png`);
        await page.screenshot({ path });
        workbench.lastScreenshot = path;
        return path;
      },
      close,
    };
    return workbench;
  } catch (error) {
    await close();
    throw error;
  }
}
