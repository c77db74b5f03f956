/**
 * Real Chromium (Debian's `chromium`, installed by scripts/system-tools.sh) driven by
 * playwright-core, for the web chat page's tests. Every page records every request it makes, so a
 * test can assert that nothing left 127.0.0.1 (DESIGN §6: works offline, no CDN).
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 15_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface ChatPage {
  readonly page: Page;
  /** Every URL the page requested (documents, scripts, styles, icons, WebSockets). */
  readonly requests: string[];
  /** Dialogs the page opened (alert, confirm, prompt): there must be none. */
  readonly dialogs: string[];
  /** Uncaught errors of the page's script. */
  readonly errors: string[];
}

/** A new browser context (its own storage) with the chat page open and connected. */
export async function openChatPage(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 800 },
): Promise<ChatPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const requests: string[] = [];
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (ws) => requests.push(ws.url()));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await expect.poll(() => page.locator('#status').textContent(), { timeout: 8000 }).toMatch(/^connected as /);
  return { page, requests, dialogs, errors };
}

/** The texts of the log's items, as the reader sees them (CSS generated content aside). */
export function logTexts(page: Page): Promise<string[]> {
  return page.locator('#log li').allTextContents();
}

/** Type a line into the message box and press Enter, as a keyboard user does. */
export async function say(page: Page, text: string): Promise<void> {
  const input = page.getByLabel('Message', { exact: true });
  await input.focus();
  await input.fill(text);
  await input.press('Enter');
}

/** Every request went to 127.0.0.1. */
export function onlyLoopback(requests: readonly string[]): boolean {
  return requests.length > 0 && requests.every((u) => new URL(u).hostname === '127.0.0.1');
}
