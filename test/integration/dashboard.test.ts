// The live dashboard in a real browser: Debian's Chromium driven by playwright-core against a real gateway
// and emulator, with the page built by Vite exactly as `npm run build` builds it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type BrowserContext, type Page } from 'playwright-core';
import { SEED_IDS } from '../../src/emulator/seed.js';
import {
  CreateEventDestinationDocument,
  DashboardEventLogDocument,
  TerminateContractDocument,
} from '../../sdk/client.js';
import { apiKey } from '../helpers/auth.js';
import { buildPages, launchChromium } from '../helpers/browser.js';
import { newKey, signupNew } from '../helpers/mutations.js';
import { startReceiver } from '../helpers/receiver.js';
import { startStack, TEST_WEBHOOK_AUTH, type Stack } from '../helpers/stack.js';
import { bid } from '../helpers/ids.js';

/** A key with the readonly role: it may read contracts but not the operator event log. */
const READONLY_KEY = 'dashboard-readonly-key-0123456789abcdef';
/** A contract whose reads fail while a fault is injected: its enrichment gives up. */
const BROKEN = '65f000000000000000000abc';

/** How soon a change must show in the feed after it was triggered. */
const LIVE_WITHIN_MS = 1000;
// The latency checks measure wall time in a browser that shares two cores with the rest of the suite: a
// failure is measured again (a fresh flow each time) before it counts, so only a repeatable miss fails.
jest.retryTimes(2, { logErrorsBeforeRetry: true });

let stack: Stack;
let browser: BrowserContext;
const scratch = mkdtempSync(path.join(tmpdir(), 'dashboard-test-'));
const assetsDir = path.join(scratch, 'web');
/** Content-Security-Policy violations and script errors the page reported. */
const problems: string[] = [];

beforeAll(async () => {
  await buildPages(assetsDir);
  // Reconciliation sweeps only when a test asks for one.
  stack = await startStack({
    dashboard: { emulator: true, assetsDir },
    env: { RECONCILE_INTERVAL_MS: '0', RECONCILE_GRACE_MS: '0', EVENT_DESTINATIONS_ALLOW_PRIVATE: 'true' },
  });
  browser = await launchChromium(path.join(scratch, 'profile'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A tab whose script errors and CSP violations land in `problems`. */
async function newTab(): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  return page;
}

async function openDashboard(key: string, on: Stack = stack, clockAheadMs = 0): Promise<Page> {
  const page = await newTab();
  // The browser's clock moved ahead: the log's events look that much older to the page.
  if (clockAheadMs > 0) await page.clock.install({ time: Date.now() + clockAheadMs });
  await page.goto(`${on.gateway.url}/#key=${encodeURIComponent(key)}`);
  return page;
}

/** Resolves with the milliseconds until the feed shows an event of this contract. */
async function msUntilFeedShows(
  page: Page,
  event: string,
  contractId: string,
  since: number,
): Promise<number> {
  await page.locator(`#feed li[data-event="${event}"][data-contract-id="${contractId}"]`).first().waitFor();
  return Date.now() - since;
}

describe('the dashboard', () => {
  let page: Page;
  beforeAll(async () => {
    page = await openDashboard(stack.adminKey);
    await page.locator('#socket[data-state="connected"]').waitFor();
  });
  afterAll(() => page.close());

  it('loads, takes the key out of the address bar and lists the seeded contracts', async () => {
    expect(page.url()).toBe(`${stack.gateway.url}/`);
    await expect(page.locator('#mode').textContent()).resolves.toBe('embedded emulator');
    const names = await page.locator('#contracts li .name').allTextContents();
    expect(names).toEqual(
      expect.arrayContaining(['Ada Lovelace', 'Hopper Labs GmbH', 'Alan Turing', 'Edsger Dijkstra']),
    );
    // No event has arrived yet: the feed says so instead of staying blank.
    await expect(page.locator('#feed-empty').isVisible()).resolves.toBe(true);
  });

  it("shows a contract's plan, phases and invoices when it is picked", async () => {
    await page.locator(`#contracts button[data-contract-id="${SEED_IDS.contracts.adaBasicMonthly}"]`).click();
    await page.locator('#detail h2', { hasText: 'Ada Lovelace' }).waitFor();
    await expect(page.locator('#contract-plan').textContent()).resolves.toBe('Basic · Basic monthly');
    await expect(page.locator('#contract-status').textContent()).resolves.toBe('ACTIVE');
    expect(await page.locator('#phases tbody tr').count()).toBeGreaterThan(0);
    // The seeded contract was billed twice.
    expect(await page.locator('#invoices tbody tr').count()).toBe(2);
  });

  it('shows a change made through the API within a second', async () => {
    const { contract } = await signupNew(stack.sdk);
    const since = Date.now();
    await stack.sdk.request(TerminateContractDocument, {
      input: { contractId: contract.billwerkId, idempotencyKey: newKey('dashboard') },
    });
    const elapsed = await msUntilFeedShows(page, 'ContractChanged', contract.billwerkId, since);
    expect(elapsed).toBeLessThan(LIVE_WITHIN_MS);
    await expect(page.locator('#feed-empty').isVisible()).resolves.toBe(false);
  });

  it('says beside the disabled buttons why an ended contract cannot be changed', async () => {
    await page
      .locator(`#contracts button[data-contract-id="${SEED_IDS.contracts.edsgerBasicEnded}"]`)
      .click();
    await page.locator('#detail h2', { hasText: 'Edsger Dijkstra' }).waitFor();
    await page.locator('#upgrade[disabled]').waitFor();
    await page.locator('#terminate[disabled]').waitFor();
    await expect(page.locator('#flow-reason').textContent()).resolves.toMatch(
      /^This contract ended on \d{4}-\d\d-\d\d/,
    );
    await expect(page.locator('#terminate').getAttribute('title')).resolves.toMatch(/^This contract ended/);
  });

  it('runs a signup from its button and shows the webhook arriving within a second', async () => {
    const before = await page.locator('#contracts li').count();
    const since = Date.now();
    await page.locator('#signup').click();
    await page.locator('#feed li[data-event="ContractCreated"]').first().waitFor();
    const elapsed = Date.now() - since;
    expect(elapsed).toBeLessThan(LIVE_WITHIN_MS);
    await page.locator('#flow-status', { hasText: 'Signed up' }).waitFor();
    // The new contract is listed and selected, and its own events are marked in the feed.
    expect(await page.locator('#contracts li').count()).toBe(before + 1);
    await page.locator('#detail h2', { hasText: 'New Customer' }).waitFor();
    const created = page.locator('#feed li[data-event="ContractCreated"]').first();
    await expect(created.getAttribute('data-selected')).resolves.toBe('true');
  });

  it('changes the plan and terminates the selected contract from its buttons', async () => {
    await page.locator('#upgrade').click();
    await page.locator('#flow-status', { hasText: 'Changed the plan to Pro yearly' }).waitFor();
    await page
      .locator('#feed li[data-event="OrderSucceeded"][data-selected="true"]', { hasText: 'Pro yearly' })
      .waitFor();
    await page.locator('#contract-plan', { hasText: 'Pro yearly' }).waitFor();
    await page.locator('#terminate').click();
    await page.locator('#flow-status', { hasText: 'Terminated' }).waitFor();
    await page.locator('#feed li[data-event="ContractCancelled"][data-selected="true"]').waitFor();
    // The detail reloads on the event; the button follows it, and says why.
    await page.locator('#terminate[disabled]').waitFor();
    await page.locator('#flow-reason', { hasText: 'Already terminated: it ends on' }).waitFor();
    await expect(page.locator('#upgrade').isDisabled()).resolves.toBe(false);
  });

  it('lists the flow’s events in the event log with their delivery state and source', async () => {
    await expect(page.locator('#event-log').isVisible()).resolves.toBe(true);
    const created = page.locator('#log tr[data-event="ContractCreated"]').first();
    await created.waitFor();
    await expect(created.getAttribute('data-state')).resolves.toBe('PUBLISHED');
    await expect(created.locator('.source').textContent()).resolves.toBe('webhook');
    await expect(created.locator('.attempts').textContent()).resolves.toBe('0');
    // One customer may hold several contracts: the plan and the end of the id tell them apart.
    await expect(created.locator('.contract').textContent()).resolves.toMatch(
      /^New Customer .* · Pro yearly · …[0-9a-f]{4}$/,
    );
    // Newest first: the termination the flows ended with comes before the signup.
    const events = await page
      .locator('#log-rows tr')
      .evaluateAll((rows: { getAttribute(name: string): string | null }[]) =>
        rows.map((row) => row.getAttribute('data-event')),
      );
    expect(events).toContain('ContractCancelled');
    expect(events.indexOf('ContractCancelled')).toBeLessThan(events.indexOf('ContractCreated'));
  });

  it('lists event destinations with their backlog and last error', async () => {
    const receiver = await startReceiver();
    receiver.respond = () => 503;
    try {
      const { createEventDestination } = await stack.sdk.request(CreateEventDestinationDocument, {
        input: {
          url: receiver.url,
          query: 'subscription { billwerkEvents(types: ["PanelProbe"]) { event } }',
          description: 'CRM sync',
        },
      });
      const row = page.locator(`#destination-rows tr[data-id="${createEventDestination.destination.id}"]`);
      await row.waitFor();
      expect(
        await stack.postWebhook({ Event: 'PanelProbe', ContractId: SEED_IDS.contracts.katherineFree }),
      ).toBe(202);
      await row.locator('[data-field="last-error"]', { hasText: 'HTTP 503' }).waitFor();
      await expect(row.locator('[data-field="backlog"]').textContent()).resolves.toBe('1');
      await expect(row.getAttribute('data-state')).resolves.toBe('enabled');
    } finally {
      await receiver.close();
    }
  });

  it('replays a published event from the log, and the feed shows it marked replayed', async () => {
    const created = page.locator('#log tr[data-event="ContractCreated"]').first();
    const contractId = await created.getAttribute('data-contract-id');
    expect(await page.locator('#feed li[data-replayed="true"]').count()).toBe(0);
    await created.locator('button.replay').click();
    const replayed = page.locator(
      `#feed li[data-replayed="true"][data-event="ContractCreated"][data-contract-id="${contractId}"]`,
    );
    await replayed.waitFor();
    await expect(replayed.locator('.mark[data-mark="replayed"]').textContent()).resolves.toBe('replayed');
    await page.locator('#log-status', { hasText: 'Replayed ContractCreated' }).waitFor();
    // The original delivery is not marked.
    const original = page.locator(
      `#feed li[data-replayed="false"][data-event="ContractCreated"][data-contract-id="${contractId}"]`,
    );
    expect(await original.count()).toBe(1);
  });

  it('shows a failed enrichment in the log with its attempts and last error', async () => {
    stack.emulator.faults.inject({
      method: 'GET',
      path: new RegExp(`/contracts/${BROKEN}$`, 'i'),
      status: 500,
    });
    try {
      expect(await stack.postWebhook({ Event: 'ContractChanged', ContractId: BROKEN })).toBe(202);
      const failed = page.locator(`#log tr[data-state="FAILED"][data-contract-id="${BROKEN}"]`);
      await failed.waitFor();
      await expect(failed.locator('.state').textContent()).resolves.toBe('failed');
      await expect(failed.locator('.last-error').textContent()).resolves.toMatch(/500|unavailable|server/i);
      expect(Number(await failed.locator('.attempts').textContent())).toBeGreaterThan(1);
    } finally {
      stack.emulator.faults.clear();
    }
  });

  it('filters the log to the selected contract', async () => {
    const selected = await page
      .locator('#contracts button[aria-current="true"]')
      .getAttribute('data-contract-id');
    await page.locator(`#log tr[data-contract-id="${BROKEN}"]`).waitFor();
    await page.locator('#log-only-selected').check();
    await page.locator(`#log tr[data-contract-id="${BROKEN}"]`).waitFor({ state: 'detached' });
    const contracts = await page
      .locator('#log-rows tr[data-id]')
      .evaluateAll((rows: { getAttribute(name: string): string | null }[]) =>
        rows.map((row) => row.getAttribute('data-contract-id')),
      );
    expect(contracts.length).toBeGreaterThan(0);
    expect(new Set(contracts)).toEqual(new Set([selected]));
    await page.locator('#log-only-selected').uncheck();
    await page.locator(`#log tr[data-contract-id="${BROKEN}"]`).waitFor();
  });

  it('marks the events reconciliation found after their webhooks were lost', async () => {
    const { reconciler } = stack.gateway.events;
    // The first sweep sets the watermark; billwerk merges a contract's same-instant changes, hence the ticks.
    await reconciler.sweep();
    const tick = () => stack.emulator.clock.advanceTo(new Date(stack.emulator.clock.now().getTime() + 1000));
    await tick();
    for (const registration of await stack.billwerk.webhooks.list()) {
      await stack.billwerk.webhooks.delete(bid(registration.Id));
    }
    let lost: string;
    try {
      lost = (await signupNew(stack.sdk)).contract.billwerkId;
      await tick();
    } finally {
      await stack.billwerk.webhooks.register({
        Url: stack.webhookUrl,
        Events: [],
        Auth: { Type: 'Basic', User: TEST_WEBHOOK_AUTH.user, Password: TEST_WEBHOOK_AUTH.password },
      });
    }
    expect(await reconciler.sweep()).toMatchObject({ swept: true });
    const found = page.locator(
      `#feed li[data-source="RECONCILED"][data-event="ContractCreated"][data-contract-id="${lost}"]`,
    );
    await found.waitFor();
    await expect(found.locator('.mark[data-mark="reconciled"]').textContent()).resolves.toBe('reconciled');
    await expect(found.getAttribute('data-replayed')).resolves.toBe('false');
    const row = page.locator(`#log tr[data-event="ContractCreated"][data-contract-id="${lost}"]`);
    await expect(row.locator('.source').textContent()).resolves.toBe('reconciled');
  });

  // 110 webhooks, then a browser paging through them: correctness, not speed, on a machine shared with
  // the rest of the suite.
  it('opens on the newest events of a long log and pages back to the oldest', async () => {
    const logIds = async () => {
      const ids: string[] = [];
      for (let after: string | undefined; ;) {
        const { webhookEvents } = await stack.sdk.request(DashboardEventLogDocument, { first: 100, after });
        ids.push(...webhookEvents.edges.map((edge) => edge.node.id));
        if (!webhookEvents.pageInfo.hasNextPage) return ids;
        after = webhookEvents.pageInfo.endCursor ?? undefined;
      }
    };
    // More than a page (100) of events within seconds: the page must find the newest ones.
    const probes = Math.max(0, 110 - (await logIds()).length);
    await Promise.all(
      Array.from({ length: probes }, (_, n) =>
        stack.postWebhook({ Event: 'LogProbe', ContractId: SEED_IDS.contracts.adaBasicMonthly, N: n }),
      ),
    );
    await stack.gateway.events.pipeline.idle();
    const ids = await logIds();
    expect(ids.length).toBeGreaterThan(100);

    // Every event a few seconds old, so a window a tenth of the one holding over a page holds none.
    const fresh = await openDashboard(stack.adminKey, stack, 3_000);
    const rows = fresh.locator('#log-rows tr[data-id]');
    await rows.first().waitFor();
    await expect(rows.first().getAttribute('data-id')).resolves.toBe(ids.at(-1));
    const shown = await rows.count();
    expect(shown).toBeLessThanOrEqual(100);
    expect(shown).toBeLessThan(ids.length);
    while (await fresh.locator('#log-older').isVisible()) {
      await fresh.locator('#log-older').click();
      await fresh.locator('#log-older:not([disabled])').or(fresh.locator('#log-older[hidden]')).waitFor({
        state: 'attached',
      });
    }
    const all = await rows.evaluateAll((found: { getAttribute(name: string): string | null }[]) =>
      found.map((row) => row.getAttribute('data-id')),
    );
    // Every event once, newest first.
    expect(all).toEqual([...ids].reverse());
    await fresh.close();
  }, 60_000);

  it('runs under the gateway’s Content-Security-Policy without errors', () => {
    expect(problems).toEqual([]);
  });
});

describe('the dashboard without a valid key', () => {
  it('asks for a key and says the gateway refused the one it had', async () => {
    const page = await openDashboard('not-the-right-key-at-all');
    await page.locator('#key-form').waitFor();
    await expect(page.locator('#key-error').textContent()).resolves.toBe(
      'The gateway did not accept that key.',
    );
    expect(await page.locator('#app').isVisible()).toBe(false);
    await page.close();
  });
});

describe('the dashboard against billwerk itself', () => {
  it('shows data but offers no flow buttons, and the event log to admin keys only', async () => {
    // The same page, served by a gateway that says it is not running the emulator.
    const real = await startStack({
      dashboard: { emulator: false, assetsDir },
      env: { API_KEYS: JSON.stringify([apiKey(READONLY_KEY, { id: 'viewer', role: 'readonly' })]) },
    });
    try {
      const page = await openDashboard(real.adminKey, real);
      await page.locator('#detail h2').waitFor();
      await expect(page.locator('#mode').textContent()).resolves.toBe('billwerk');
      expect(await page.locator('#contracts li').count()).toBeGreaterThan(0);
      expect(await page.locator('#flows').isVisible()).toBe(false);
      await page.locator('#event-log').waitFor();
      await page.close();

      const problemsBefore = problems.length;
      const viewer = await newTab();
      const logAnswered = viewer.waitForResponse((response) =>
        Boolean(response.request().postData()?.includes('webhookEvents')),
      );
      await viewer.goto(`${real.gateway.url}/#key=${encodeURIComponent(READONLY_KEY)}`);
      await viewer.locator('#detail h2').waitFor();
      expect(await viewer.locator('#contracts li').count()).toBeGreaterThan(0);
      await logAnswered;
      // The gateway refused the log (FORBIDDEN): the page goes on without the panel.
      await viewer.locator('#socket[data-state="connected"]').waitFor();
      expect(await viewer.locator('#event-log').isVisible()).toBe(false);
      expect(await viewer.locator('#destinations').isVisible()).toBe(false);
      expect(problems.slice(problemsBefore)).toEqual([]);
      await viewer.close();
    } finally {
      await real.close();
    }
  });
});
