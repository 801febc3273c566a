/** Headless Chromium for the browser tests (test/browser.test.ts, test/admin-console.browser.test.ts). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Where the browser tests write the screenshots the README shows (rewritten on each run). */
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');

export const MISSING_CHROMIUM =
  `Chromium not found at ${CHROMIUM}: the browser tests need it. Install it with ` +
  '`apt-get update && apt-get install -y chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a ' +
  'Chromium or Chrome binary.';

export const hasChromium = (): boolean => existsSync(CHROMIUM);

/**
 * Debian's Chromium, headless, as the machine allows it: no sandbox (root), no GPU, and none of its
 * background connections (this machine's closed network refuses them, many at a time).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
