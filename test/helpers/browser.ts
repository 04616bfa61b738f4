// The browser pages in a real browser: web/ built by Vite into a folder of the test's own (so a concurrent
// `npm run build` cannot swap files under it), and Debian's Chromium driven headless by playwright-core.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Builds web/ as `npm run build` does, into `outDir`. */
export async function buildPages(outDir: string): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [
      'node_modules/vite/bin/vite.js',
      'build',
      '--config',
      'web/vite.config.ts',
      '--outDir',
      outDir,
      '--logLevel',
      'warn',
    ],
    { cwd: process.cwd() },
  );
}

/** Chromium with its profile in `profileDir`; close it in afterAll. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1360, height: 900 },
  });
}
