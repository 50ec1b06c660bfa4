// Opening code-server's workbench on a folder, with the extension under development
// loaded, and the few UI moves the end-to-end scenarios share.
//
// How the extension gets in: code-server serves VS Code's web workbench, which reads a
// `payload` query parameter of [key, value] pairs into its environment
// (extensionDevelopmentPath, extensionTestsPath, …) — the same path VS Code uses to open an
// Extension Development Host on a remote. The values are vscode-remote:// URIs naming
// folders on the server, so the extension runs in the server's Node extension host.
import type { Frame, Page } from 'playwright-core';

export interface WorkbenchTarget {
  serverUrl: string;
  /** host:port of the server, the authority of vscode-remote:// URIs */
  host: string;
  folder: string;
  extensionDevelopmentPath: string;
  extensionTestsPath?: string;
}

export function remoteUri(host: string, path: string): string {
  return `vscode-remote://${host}${path}`;
}

export function workbenchUrl(t: WorkbenchTarget): string {
  const payload: [string, string][] = [['extensionDevelopmentPath', remoteUri(t.host, t.extensionDevelopmentPath)]];
  if (t.extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(t.host, t.extensionTestsPath)]);
  const q = new URLSearchParams({ folder: t.folder, payload: JSON.stringify(payload) });
  return `${t.serverUrl}/?${q.toString()}`;
}

export async function openWorkbench(page: Page, t: WorkbenchTarget): Promise<void> {
  await page.goto(workbenchUrl(t));
  await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
  // The status bar fills in once the remote connection and extension host are up.
  await page.waitForSelector('.statusbar', { timeout: 120_000 });
}

/** Runs a command by its palette title, as a person would (F1, type, Enter). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.locator('.monaco-workbench').click({ position: { x: 5, y: 400 } }).catch(() => undefined);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 60_000 });
  await row.click();
}

/** Answers an open quick pick by the text of one of its rows. */
export async function pickQuickItem(page: Page, text: string, timeout = 60_000): Promise<void> {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout });
  await row.click();
}

/** True while a quick pick or input box is open. */
export async function quickInputOpen(page: Page): Promise<boolean> {
  return page.locator('.quick-input-widget').isVisible();
}

/**
 * The webview document (VS Code nests it two iframes deep) that contains `selector`,
 * polled until it appears: panels render after the extension host answers.
 */
export async function frameWith(page: Page, selector: string, timeout = 180_000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
    }
    await page.waitForTimeout(500);
  }
  throw new Error(`no webview showing "${selector}" appeared within ${timeout / 1000} s`);
}

/** Opens a workspace file by name through Quick Open (Ctrl+P), as a person would. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(name);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tab', { hasText: name }).first().waitFor({ state: 'visible', timeout: 30_000 });
}

export async function notificationsText(page: Page): Promise<string> {
  return (await page.locator('.notifications-toasts').allInnerTexts().catch(() => [])).join('\n');
}
