// No secret reaches a log line: a gateway logging at trace level into a captured stream is driven through
// refused credentials, refused webhooks, billwerk failures and an OAuth token refresh, and then the whole
// log is searched for every secret it handled.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBillwerkClient, type BillwerkClient } from '../../src/billwerk/client.js';
import { loadConfig } from '../../src/config.js';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { createLogger } from '../../src/logger.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { apiKey, bearer, customerToken, TEST_ADMIN_KEY, TEST_JWT_SECRET } from '../helpers/auth.js';
import { postQuery, postWebhook } from '../helpers/http.js';
import { TEST_START } from '../helpers/stack.js';
import { collect, wsClient } from '../helpers/ws.js';

const CLIENT_SECRET = 'client-secret-that-must-stay-hidden-41';
const PARTNER_KEY = 'partner-key-that-must-stay-hidden-42';
const WEBHOOK = { user: 'billwerk', password: 'webhook-password-that-must-stay-hidden-43' };
const PATH_TOKEN = 'webhook-path-token-that-must-stay-hidden-44';
/** What the token endpoint hands the gateway's client once (injected), so the log can be searched for it. */
const ACCESS_TOKEN = 'access-token-that-must-stay-hidden-45';

const lines: string[] = [];
let emulator: Emulator;
let billwerk: BillwerkClient;
let gateway: Gateway;
let dataDir: string;
let graphqlUrl: string;
const customerTokens: string[] = [];

beforeAll(async () => {
  emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: TEST_START }),
    credentials: { clientId: 'gateway', clientSecret: CLIENT_SECRET },
  });
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => lines.push(line) } });
  billwerk = createBillwerkClient({
    baseUrl: emulator.url,
    ...emulator.credentials,
    retryBaseDelayMs: 1,
    maxRetries: 1,
    logger: logger.child({ component: 'billwerk' }),
  });
  dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-secrets-'));
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    GATEWAY_ADMIN_KEY: TEST_ADMIN_KEY,
    API_KEYS: JSON.stringify([
      apiKey(PARTNER_KEY, { id: 'p', role: 'partner', customers: [SEED_IDS.customers.ada] }),
    ]),
    JWT_SECRET: TEST_JWT_SECRET,
  });
  gateway = await createGateway({
    config,
    billwerk,
    logger,
    webhookCredentials: { basicAuth: WEBHOOK, pathToken: PATH_TOKEN },
  });
  graphqlUrl = `${gateway.url}/graphql`;
});

afterAll(async () => {
  await gateway?.close();
  await billwerk?.close();
  await emulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = async (query: string, authorization?: string): Promise<number> =>
  (await postQuery(graphqlUrl, query, {}, { headers: authorization ? { authorization } : {} })).status;

const webhook = async (token: string, auth: { user: string; password: string }): Promise<number> =>
  (
    await postWebhook(
      `${gateway.url}/webhooks/billwerk/${token}`,
      { Event: 'ContractChanged', EntityId: SEED_IDS.entity, ContractId: 'x' },
      { auth },
    )
  ).status;

describe('secrets in logs', () => {
  it('none of the secrets the gateway handled appears in its log', async () => {
    const contract = `{ contract(id: "${SEED_IDS.contracts.adaBasicMonthly}") { billwerkId } }`;
    // Served requests with every kind of credential.
    const valid = await customerToken(SEED_IDS.customers.ada);
    customerTokens.push(valid);
    expect(await post(contract, bearer(TEST_ADMIN_KEY))).toBe(200);
    expect(await post(contract, bearer(PARTNER_KEY))).toBe(200);
    expect(await post(contract, bearer(valid))).toBe(200);

    // Refused credentials: near-miss keys, forged and expired tokens, over HTTP and graphql-ws.
    const forged = await customerToken(SEED_IDS.customers.ada, { secret: `${TEST_JWT_SECRET}-forged` });
    const expired = await customerToken(SEED_IDS.customers.ada, { expiresAt: new Date(Date.now() - 1000) });
    customerTokens.push(forged, expired);
    for (const credential of [`${PARTNER_KEY}x`, `${TEST_ADMIN_KEY}x`, forged, expired]) {
      expect(await post(contract, bearer(credential))).toBe(401);
    }
    const client = wsClient(graphqlUrl, { credential: `${PARTNER_KEY}x` });
    expect(
      ((await collect(client, 'subscription { billwerkEvents { cursor } }').failed) as { code: number }).code,
    ).toBe(4403);
    await client.dispose();

    // Refused webhooks: wrong password, wrong path token, both right but for a near miss.
    expect(await webhook(PATH_TOKEN, { ...WEBHOOK, password: `${WEBHOOK.password}x` })).toBe(401);
    expect(await webhook(`${PATH_TOKEN}x`, WEBHOOK)).not.toBe(200);

    // billwerk failing, with a body that names a secret of its own.
    emulator.faults.inject({
      method: 'GET',
      path: `/api/v1/contracts/${SEED_IDS.contracts.graceProYearly}`,
      status: 500,
      body: { Message: `failure near ${CLIENT_SECRET}` },
    });
    await post(
      `{ contract(id: "${SEED_IDS.contracts.graceProYearly}") { billwerkId } }`,
      bearer(TEST_ADMIN_KEY),
    );
    emulator.faults.clear();

    // A token refresh: every token is revoked, the next token handed out is one the test knows (and
    // billwerk does not, so it is refused and refreshed once more).
    const tokenCalls = emulator.requests.count({ path: '/oauth/token' });
    emulator.revokeTokens();
    emulator.faults.inject({
      method: 'POST',
      path: '/oauth/token',
      status: 200,
      body: { access_token: ACCESS_TOKEN, token_type: 'bearer', expires_in: 3600 },
      times: 1,
    });
    await post(`{ customer(id: "${SEED_IDS.customers.alan}") { billwerkId } }`, bearer(TEST_ADMIN_KEY));
    expect(
      await post(`{ customer(id: "${SEED_IDS.customers.grace}") { billwerkId } }`, bearer(TEST_ADMIN_KEY)),
    ).toBe(200);
    expect(emulator.requests.count({ path: '/oauth/token' })).toBeGreaterThanOrEqual(tokenCalls + 2);

    const log = lines.join('');
    // The log did record what happened, so an empty log cannot pass.
    expect(lines.length).toBeGreaterThan(10);
    expect(log).toContain('UNAUTHENTICATED');
    expect(log).toContain('UPSTREAM_ERROR');
    expect(log).toContain('/oauth/token');
    const secrets = {
      CLIENT_SECRET,
      TEST_ADMIN_KEY,
      PARTNER_KEY,
      TEST_JWT_SECRET,
      ACCESS_TOKEN,
      WEBHOOK_PASSWORD: WEBHOOK.password,
      WEBHOOK_BASIC: Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64'),
      PATH_TOKEN,
      ...Object.fromEntries(customerTokens.map((token, i) => [`CUSTOMER_TOKEN_${i}`, token])),
      // A token's signature alone is as secret as the token.
      ...Object.fromEntries(customerTokens.map((token, i) => [`SIGNATURE_${i}`, token.split('.')[2]!])),
    };
    const leaked = Object.entries(secrets)
      .filter(([, secret]) => log.includes(secret))
      .map(([name]) => name);
    expect(leaked).toEqual([]);
  });
});
