// Debian's chromium driven by playwright-core (playwright's own browser download cannot
// reach its host here). Flags: headless as root in a container, and no background
// traffic — this machine's closed network refuses it, noisily and slowly.
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-features=Translate,MediaRouter',
];

export async function launchBrowser(sessionDir: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no chromium at ${CHROMIUM}; run: bash scripts/tools/install.sh (or set CHROMIUM_PATH)`);
  }
  const xdg = join(sessionDir, 'chromium-xdg');
  mkdirSync(xdg, { recursive: true });
  // playwright gives each launch a fresh temporary profile (--user-data-dir); XDG_CONFIG_HOME
  // keeps chromium's own config writes inside the session folder as well.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    env: { ...process.env, XDG_CONFIG_HOME: xdg, XDG_CACHE_HOME: join(xdg, 'cache') },
  });
}

export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
  return context.newPage();
}
