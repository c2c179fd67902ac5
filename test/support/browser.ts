import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const screenshotDir = join(repoRoot, 'test-output', 'screenshots');

/** Debian's `chromium` (scripts/ensure.mjs installs it), or CHROMIUM_PATH; null when neither is there. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path)) ?? null;
}

/**
 * Without the background-networking flags Chromium keeps calling home
 * (updates, sync, field trials) into a closed network. Playwright's launch
 * gives every browser a fresh temporary profile (user-data-dir) and removes it on close.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  browser: Browser;
  page: Page;
  /** Console errors and failed requests the page reported, for assertions and diagnosis. */
  problems: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(executablePath: string): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath, headless: true, args: ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    // Failed requests are reported below with their URL.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  mkdirSync(screenshotDir, { recursive: true });
  return {
    browser,
    page,
    problems,
    async screenshot(name) {
      const path = join(screenshotDir, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}

/** The text of the element with this data-testid now, or null: no waiting (tests wait with waitFor). */
export async function textOf(page: Page, testId: string): Promise<string | null> {
  return page.evaluate((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null, testId);
}

/** How many elements carry this data-testid now. */
export async function countOf(page: Page, testId: string): Promise<number> {
  return page.evaluate((id) => document.querySelectorAll(`[data-testid="${id}"]`).length, testId);
}
