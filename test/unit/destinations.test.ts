// Event destinations' parts on their own: the SQLite store (contract), Standard Webhooks signatures as the
// standardwebhooks package verifies them, the URL and address rules, the retry schedule, the per-contract
// heads, and the checks on a destination's document.
import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { type AttemptOutcome } from '../../src/destinations/attempt.js';
import { compileDocument } from '../../src/destinations/document.js';
import { createSqliteDestinationStore } from '../../src/destinations/sqlite-destination-store.js';
import { newSigningSecret, signedHeaders, validSecrets } from '../../src/destinations/signer.js';
import { isBlockedAddress, parseDestinationUrl } from '../../src/destinations/url-safety.js';
import { afterAttempt, headsOf, retryDelay, type RetryPolicy } from '../../src/destinations/worker.js';
import { buildGatewaySchema } from '../../src/graphql/schema.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import {
  deliveryRecord,
  describeDestinationStoreContract,
  destinationRecord,
} from './destination-store.contract.js';

let db: SqliteDatabase | undefined;
describeDestinationStoreContract('SQLite', {
  open: () => {
    db = openDatabase({ file: ':memory:' });
    return Promise.resolve(createSqliteDestinationStore(db));
  },
  cleanup: () => {
    db?.close();
    return Promise.resolve();
  },
});

describe('signatures', () => {
  it('verify with the standardwebhooks package, with either secret during a rotation', () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ data: { billwerkEvents: { event: 'ContractChanged', note: 'é ✓' } } });
    const headers = signedHeaders([current, previous], 'ZXY6MQ', Math.floor(Date.now() / 1000), body);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow(/No matching signature/);
  });

  it('drop a rotated-out secret once its overlap ends', () => {
    const secrets = [{ secret: 'whsec_bmV3' }, { secret: 'whsec_b2xk', expiresAt: 2_000 }];
    expect(validSecrets(secrets, 1_999)).toEqual(['whsec_bmV3', 'whsec_b2xk']);
    expect(validSecrets(secrets, 2_000)).toEqual(['whsec_bmV3']);
  });
});

describe('destination URLs', () => {
  it('refuse loopback, private, link-local, metadata and other reserved addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.8',
      '172.20.1.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      'not an address',
    ]) {
      expect([address, isBlockedAddress(address)]).toEqual([address, true]);
    }
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34']) {
      expect([address, isBlockedAddress(address)]).toEqual([address, false]);
    }
  });

  it('take https always, http only in development, and never credentials', () => {
    const production = { production: true, allowPrivate: false };
    const development = { production: false, allowPrivate: false };
    expect(parseDestinationUrl('https://hooks.example.com/x', production).href).toBe(
      'https://hooks.example.com/x',
    );
    expect(() => parseDestinationUrl('http://hooks.example.com/x', production)).toThrow(/must use https\./);
    expect(parseDestinationUrl('http://hooks.example.com/x', development).protocol).toBe('http:');
    expect(() => parseDestinationUrl('https://u:secret@hooks.example.com/', development)).toThrow(
      /credentials/,
    );
    expect(() => parseDestinationUrl('hooks.example.com', development)).toThrow(/absolute URL/);
    expect(() => parseDestinationUrl(`https://e.com/${'a'.repeat(2100)}`, development)).toThrow(/at most/);
  });
});

const policy: RetryPolicy = { baseMs: 5_000, windowMs: 72 * 3_600_000, disableAfterMs: 120 * 3_600_000 };
const failure: AttemptOutcome = { ok: false, status: 500, error: 'HTTP 500', durationMs: 3 };

describe('the retry schedule', () => {
  it('retries after the base delay, doubling, with up to 20% jitter, capped at six hours', () => {
    expect(retryDelay(1, policy, 0)).toBe(5_000);
    expect(retryDelay(1, policy, 1)).toBe(6_000);
    expect(retryDelay(3, policy, 0)).toBe(20_000);
    expect(retryDelay(30, policy, 0)).toBe(6 * 3_600_000);
  });

  it('marks a delivery dead once its next retry would fall after the window, and disables a destination failing too long', () => {
    const destination = destinationRecord('d', { failingSince: 0 });
    const first = afterAttempt(deliveryRecord('d', 1), destination, failure, 1_000, policy, 0);
    expect(first.delivery).toMatchObject({
      state: 'failing',
      attempts: 1,
      nextAttemptAt: 6_000,
      firstAttemptAt: 1_000,
    });
    const late = { ...deliveryRecord('d', 1), attempts: 12, firstAttemptAt: 0 };
    const dead = afterAttempt(late, destination, failure, policy.windowMs - 1_000, policy, 0);
    expect(dead.delivery).toMatchObject({ state: 'dead', nextAttemptAt: null });
    expect(dead.destination.disabledAt).toBeUndefined();
    const disabled = afterAttempt(late, destination, failure, policy.disableAfterMs, policy, 0);
    expect(disabled.destination).toMatchObject({ disabledAt: policy.disableAfterMs });
    expect(disabled.destination.disabledReason).toMatch(/120 h .*HTTP 500/);
    const ok = afterAttempt(late, destination, { ok: true, status: 204, durationMs: 1 }, 9, policy, 0);
    expect(ok).toMatchObject({
      delivery: { state: 'delivered', lastStatus: 204 },
      destination: { failingSince: null },
    });
  });

  it('attempts only the oldest open delivery of each contract', () => {
    const open = [deliveryRecord('d', 1, 'a'), deliveryRecord('d', 2, 'b'), deliveryRecord('d', 3, 'a')];
    expect(headsOf(open).map((d) => d.seq)).toEqual([1, 2]);
  });
});

describe("a destination's document", () => {
  it('must be one subscription to contractChanged or billwerkEvents, valid, without `after`, with valid variables', async () => {
    const schema = await buildGatewaySchema();
    const compile = (query: string, variables?: Record<string, unknown>) =>
      compileDocument(schema, [], query, variables);
    expect(
      compile('subscription($t: [String!]) { billwerkEvents(types: $t) { cursor } }', { t: ['X'] }).variables,
    ).toEqual({
      t: ['X'],
    });
    expect(() => compile('subscription { billwerkEvents { cursor } ')).toThrow(/^query: Syntax Error/);
    expect(() => compile('query { planGroups { name } }')).toThrow(/must be a subscription/);
    expect(() => compile('subscription { billwerkEvents(after: "x") { cursor } }')).toThrow(
      /`after` is not allowed/,
    );
    expect(() =>
      compile('subscription A { billwerkEvents { cursor } } subscription B { contractChanged { cursor } }'),
    ).toThrow(/exactly one operation/);
    expect(() => compile('subscription($t: [String!]!) { billwerkEvents(types: $t) { cursor } }')).toThrow(
      /^variables:/,
    );
  });
});
