// What a user does in the VS Code workbench, as Playwright steps with deadlines (no fixed sleeps).
// Selectors are VS Code 1.100's DOM (code-server 4.100.3); keep them here so a VS Code update touches one file.
import type { Frame, Locator, Page } from "playwright-core";

const EDITOR = ".editor-instance .monaco-editor";

/** Opens a workspace file with Quick Open (Ctrl+P) and waits until its editor has focus. */
export async function openFile(page: Page, fileName: string): Promise<Locator> {
  const editor = page.locator(`${EDITOR}[data-uri$="/${fileName}"]`);
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible" });
  await input.fill(fileName);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: fileName }).first().waitFor({ state: "visible" });
  await page.keyboard.press("Enter");
  await editor.locator(".view-lines").waitFor({ state: "visible" });
  await page.locator(`${EDITOR}.focused`).waitFor({ state: "visible" });
  return editor;
}

/** Opens the Problems panel (Ctrl+Shift+M, unless already visible: the key toggles it) and returns its rows. */
export async function showProblems(page: Page): Promise<Locator> {
  const panel = page.locator(".markers-panel");
  if (!(await panel.isVisible())) await page.keyboard.press("Control+Shift+M");
  await panel.waitFor({ state: "visible" });
  return panel.locator(".monaco-list-row");
}

/** Waits until the Problems panel has a row containing each of `needles`; returns all rows' text. */
export async function waitForProblems(page: Page, needles: string[], timeoutMs: number): Promise<string[]> {
  const rows = await showProblems(page);
  const texts = async () => (await rows.allTextContents()).map((text) => text.replace(/\s+/g, " ").trim());
  const deadline = Date.now() + timeoutMs;
  for (const needle of needles) {
    try {
      await rows.filter({ hasText: needle }).first().waitFor({ state: "visible", timeout: Math.max(1, deadline - Date.now()) });
    } catch {
      throw new Error(`Problems panel did not list ${needle} within ${timeoutMs} ms; rows:\n  ${(await texts()).join("\n  ") || "(none)"}`);
    }
  }
  return texts();
}

/** Waits until no Problems panel row contains `needle` (e.g. after a fix, once the server has re-analysed). */
export async function waitForProblemGone(page: Page, needle: string, timeoutMs: number): Promise<void> {
  const rows = await showProblems(page);
  try {
    await rows.filter({ hasText: needle }).first().waitFor({ state: "detached", timeout: timeoutMs });
  } catch {
    const texts = (await rows.allTextContents()).map((text) => text.replace(/\s+/g, " ").trim());
    throw new Error(`Problems panel still lists ${needle} after ${timeoutMs} ms; rows:\n  ${texts.join("\n  ")}`);
  }
}

/** Moves the cursor with Go to Line (Ctrl+G); line and column are 1-based. */
export async function goTo(page: Page, line: number, column: number): Promise<void> {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible" });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden" });
  await page.locator(`${EDITOR}.focused`).waitFor({ state: "visible" });
}

/** The rendered line of the editor whose text contains `text` (must be on screen). */
export function viewLine(editor: Locator, text: string): Locator {
  return editor.locator(".view-lines .view-line", { hasText: text }).first();
}

/** Hovers the mouse over the first token `token` on the line containing `lineText`; returns the hover's text. */
export async function hoverText(page: Page, editor: Locator, lineText: string, token: string, expected: string): Promise<string> {
  const span = viewLine(editor, lineText).locator("span span", { hasText: token }).first();
  const hover = page.locator(".monaco-hover:not(.hidden)", { hasText: expected }).first();
  await span.hover();
  try {
    await hover.waitFor({ state: "visible", timeout: 5_000 });
  } catch {
    // The hover opens on mouse *move*; nudge once and wait again before giving up.
    const box = await span.boundingBox();
    if (box) await page.mouse.move(box.x + box.width / 2 + 3, box.y + box.height / 2);
    await hover.waitFor({ state: "visible" });
  }
  return ((await page.locator(".monaco-hover:not(.hidden)").allTextContents()).join("\n")).replace(/\s+/g, " ");
}

/**
 * Opens Quick Fix (Ctrl+.) at the cursor and applies the first action whose title contains `titlePart`.
 * Chosen with the keyboard: while the menu is open VS Code lays a pointer-blocking layer over the page.
 */
export async function applyQuickFix(page: Page, titlePart: string): Promise<void> {
  await page.keyboard.press("Control+Period");
  const actions = page.locator(".action-widget .monaco-list-row.action");
  await actions.first().waitFor({ state: "visible" });
  const titles = (await actions.evaluateAll((rows) => rows.map((row) => row.getAttribute("aria-label") ?? ""))) as string[];
  const index = titles.findIndex((title) => title.includes(titlePart));
  if (index < 0) throw new Error(`no quick fix title contains ${JSON.stringify(titlePart)}; offered: ${titles.join(" | ") || "(none)"}`);
  const target = actions.nth(index);
  for (let step = 0; step <= titles.length && !(await target.evaluate((row) => row.classList.contains("focused"))); step++) {
    await page.keyboard.press("ArrowDown");
  }
  if (!(await target.evaluate((row) => row.classList.contains("focused")))) throw new Error(`could not focus the quick fix ${titles[index]}`);
  await page.keyboard.press("Enter");
  await page.locator(".action-widget").first().waitFor({ state: "hidden" });
}

/** The status bar item whose text contains `text`. */
export function statusBarItem(page: Page, text: string): Locator {
  return page.locator(".part.statusbar .statusbar-item", { hasText: text }).first();
}

/** The workspace trust indicator that VS Code shows in restricted mode. */
export function restrictedModeIndicator(page: Page): Locator {
  return page.locator(".part.statusbar .statusbar-item", { hasText: "Restricted Mode" }).first();
}

export async function saveActiveEditor(page: Page): Promise<void> {
  await page.keyboard.press("Control+S");
}

/** A code lens above a line of the editor, by its text (e.g. "kWh"). */
export function codeLens(editor: Locator, text: string): Locator {
  return editor.locator(".contentWidgets .codelens-decoration, .codelens-decoration", { hasText: text }).first();
}

/** An editor tab by (part of) its label. */
export function editorTab(page: Page, label: string): Locator {
  return page.locator(".tabs-container .tab", { hasText: label }).first();
}

/**
 * Waits until the integrated terminal shows `text` (the DOM renderer: codeServer.ts turns GPU acceleration off);
 * returns the terminal's visible text.
 */
export async function waitForTerminalText(page: Page, text: string | RegExp, timeoutMs: number): Promise<string> {
  const rows = page.locator(".terminal-wrapper.active .xterm-rows, .integrated-terminal .xterm-rows").first();
  await rows.waitFor({ state: "visible", timeout: timeoutMs });
  try {
    await page.locator(".integrated-terminal .xterm-rows", { hasText: text }).first().waitFor({ state: "visible", timeout: timeoutMs });
  } catch {
    throw new Error(`the terminal did not show ${String(text)} within ${timeoutMs} ms; it shows:\n${(await rows.innerText()).trim()}`);
  }
  return (await rows.innerText()).replace(/\u00a0/g, " ");
}

/** A view pane in the side bar by its title (e.g. "Green AI Runs"), expanded. */
export async function expandedViewPane(page: Page, title: string): Promise<Locator> {
  const header = page.locator(".pane-header", { hasText: title }).first();
  await header.waitFor({ state: "visible" });
  if ((await header.getAttribute("aria-expanded")) !== "true") await header.click();
  const pane = page.locator(".pane", { has: header });
  await pane.locator(".pane-body").waitFor({ state: "visible" });
  return pane;
}

/**
 * The innermost frame of a webview (VS Code nests the content in iframe#active-frame inside iframe.webview) that
 * has an element `selector` containing `text`; found among all of the page's frames, so other webviews do not matter.
 */
export async function webviewFrameWith(page: Page, selector: string, text: string, timeoutMs: number): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      const count = await frame.locator(selector, { hasText: text }).count().catch(() => 0);
      if (count > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no webview showed ${selector} with ${JSON.stringify(text)} within ${timeoutMs} ms`);
    await page.waitForTimeout(200);
  }
}

/**
 * Right-clicks `target` and runs its context menu item `title`, chosen with the keyboard (a pointer-blocking layer
 * lies over the page while the menu is open, as for Quick Fix).
 */
export async function contextMenuAction(page: Page, target: Locator, title: string): Promise<void> {
  const menu = page.locator(".context-view .monaco-menu");
  // Under load a right-click that lands while the tree re-renders (its watcher refreshing it) opens no menu: try again.
  for (let attempt = 1; ; attempt++) {
    await target.click({ button: "right" });
    try {
      await menu.waitFor({ state: "visible", timeout: 5_000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      await page.keyboard.press("Escape");
    }
  }
  const items = menu.locator(".action-item:not(.disabled) .action-label:not(.separator)");
  const titles = (await items.allInnerTexts()).map((text) => text.trim());
  if (!titles.some((text) => text === title)) throw new Error(`the context menu has no "${title}"; it offers: ${titles.join(" | ")}`);
  for (let step = 0; step <= titles.length; step++) {
    const focused = (await menu.locator(".action-item.focused .action-label").allInnerTexts()).map((text) => text.trim());
    if (focused.includes(title)) {
      await page.keyboard.press("Enter");
      await menu.waitFor({ state: "hidden" });
      return;
    }
    await page.keyboard.press("ArrowDown");
  }
  throw new Error(`could not focus the context menu item "${title}"`);
}

/**
 * Clicks `target` until `expected` shows: a click that lands while a tree re-renders (its file watcher refreshing it)
 * hits a row element that is replaced between mouse-down and mouse-up and does nothing, as for a person clicking
 * during the refresh. Each retry is logged so a product that ignores clicks shows up as retries in the output.
 */
export async function clickUntilVisible(page: Page, target: Locator, expected: Locator, what: string, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await target.click();
    try {
      await expected.waitFor({ state: "visible", timeout: 7_000 });
      return;
    } catch (error) {
      const notes = await visibleNotifications(page);
      console.log(`      [e2e] click ${attempt}/${attempts} did not ${what} within 7 s; notifications: ${notes.length ? notes.join(" | ") : "none"}`);
      if (attempt === attempts) throw error;
    }
  }
}

/** The texts of the notification toasts on screen (an error the extension showed, for instance). */
export async function visibleNotifications(page: Page): Promise<string[]> {
  const toasts = await page.locator(".notification-toast .notification-list-item-message").allInnerTexts().catch(() => []);
  return toasts.map((text) => text.replace(/\s+/g, " ").trim()).filter(Boolean);
}
