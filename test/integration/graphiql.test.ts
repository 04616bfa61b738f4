// GraphiQL at /graphql in a real browser: Debian's Chromium driven by playwright-core against a real gateway
// and emulator, the page built by Vite as `npm run build` builds it. Nothing is loaded from another origin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BrowserContext, type Page } from 'playwright-core';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { TerminateContractDocument } from '../../sdk/client.js';
import { buildPages, launchChromium } from '../helpers/browser.js';
import { newKey } from '../helpers/mutations.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let browser: BrowserContext;
const scratch = mkdtempSync(path.join(tmpdir(), 'graphiql-test-'));
const assetsDir = path.join(scratch, 'web');
/** Script errors, CSP violations and requests to other origins the pages made. */
const problems: string[] = [];

beforeAll(async () => {
  await buildPages(assetsDir);
  stack = await startStack({ dashboard: { emulator: true, assetsDir } });
  browser = await launchChromium(path.join(scratch, 'profile'));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function openGraphiql(url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(stack.gateway.url) && !/^(data|blob):/.test(request.url()))
      problems.push(`request to another origin: ${request.url()}`);
  });
  await page.goto(url);
  return page;
}

/**
 * Replaces the operation in the active tab's editor; resolves once GraphiQL has parsed it (the tab is titled
 * by the operation's name), so Run sends this operation and not the one before.
 */
async function writeOperation(page: Page, name: string, text: string): Promise<void> {
  await page.locator('.graphiql-query-editor .monaco-editor').first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  await page.locator('.graphiql-tab-active', { hasText: name }).waitFor();
}

/** Resolves once the response editor shows `text`. */
const responseShows = (page: Page, text: string) =>
  page.locator('.graphiql-response', { hasText: text }).waitFor({ timeout: 15_000 });

describe('GraphiQL at /graphql', () => {
  let page: Page;
  beforeAll(async () => {
    page = await openGraphiql(`${stack.gateway.url}/graphql#key=${encodeURIComponent(stack.adminKey)}`);
    await page.locator('.graphiql-container').waitFor();
  }, 30_000);
  afterAll(() => page.close());

  it('keeps the key in session storage, out of the address bar', async () => {
    expect(page.url()).toBe(`${stack.gateway.url}/graphql`);
    await expect(page.evaluate("sessionStorage.getItem('billwerk-gateway-key')")).resolves.toBe(
      stack.adminKey,
    );
  });

  it('offers the SDK operations as example tabs', async () => {
    // The first tab, then one per file of sdk/operations.
    await expect(page.locator('.graphiql-tab').count()).resolves.toBeGreaterThan(5);
  });

  it('runs the example query', async () => {
    await page.locator('.graphiql-execute-button').click();
    await responseShows(page, '"edges"');
    await responseShows(page, '"billwerkId"');
  });

  it('runs a subscription over graphql-ws and shows the event a mutation causes', async () => {
    const contractId = SEED_IDS.contracts.graceProYearly;
    await writeOperation(
      page,
      'GraceEvents',
      `subscription GraceEvents { billwerkEvents(contractId: "${contractId}") { event contractId } }`,
    );
    await page.locator('.graphiql-execute-button').click();
    // The running subscription turns the button into a stop button; then the mutation's event arrives.
    await page.locator('.graphiql-execute-button[aria-label*="Stop" i]').waitFor();
    await stack.sdk.request(TerminateContractDocument, {
      input: { contractId, idempotencyKey: newKey('graphiql') },
    });
    await responseShows(page, 'ContractCancelled');
  });

  it('runs a mutation with a fresh idempotency key', async () => {
    const contractId = SEED_IDS.contracts.alanProTrial;
    await page.locator('.graphiql-execute-button').click(); // stops the subscription
    await writeOperation(
      page,
      'EndTrial',
      `mutation EndTrial { terminateContract(input: { contractId: "${contractId}" }) { endDate } }`,
    );
    await page.locator('.graphiql-execute-button').click();
    await responseShows(page, '"endDate"');
  });

  it('loads nothing from another origin and runs under the CSP without errors', () => {
    expect(problems).toEqual([]);
  });
});

describe('GraphiQL without a key', () => {
  it('asks for one, then opens', async () => {
    const page = await openGraphiql(`${stack.gateway.url}/graphql`);
    try {
      await page.evaluate('sessionStorage.clear()');
      await page.reload();
      await page.locator('#key-input').fill(stack.adminKey);
      await page.locator('#key-form button[type="submit"]').click();
      await page.locator('.graphiql-container').waitFor();
    } finally {
      await page.close();
    }
  });
});
