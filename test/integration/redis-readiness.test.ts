// Readiness that tells the truth: /readyz and the start-up log judge Redis by what the gateway does with
// it (a script on its keys, a write, a stream group), so a Redis it cannot use never reports ready.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { command, startCluster, startReplica, type RedisCluster } from '../helpers/redis-topologies.js';
import { startStack, type Stack } from '../helpers/stack.js';

/** The ACL rules docs/operations.md gives for the gateway's user (default prefix). */
const DOCUMENTED_ACL = ['resetkeys', '~bgg:*', 'resetchannels', '&bgg:*', '+@all', '-@dangerous', '+info'];

let primary: RedisServer;
let replica: RedisServer;
let cluster: RedisCluster;

beforeAll(async () => {
  [primary, cluster] = await Promise.all([startRedis(), startCluster()]);
  replica = await startReplica(primary);
  // The user docs/operations.md recommends, and one that may read and write but not use consumer groups.
  await command(primary.port, 'ACL', 'SETUSER', 'gateway', 'on', '>gateway-secret', ...DOCUMENTED_ACL);
  await command(
    primary.port,
    'ACL',
    'SETUSER',
    'narrow',
    'on',
    '>narrow-secret',
    '~*',
    '&*',
    '+@all',
    '-xreadgroup',
  );
});
afterAll(async () => {
  await Promise.all([primary?.close(), replica?.close(), cluster?.close()]);
});

/** A gateway on `env`, with the lines it logged. */
async function gatewayOn(env: Record<string, string>): Promise<{ stack: Stack; lines: () => string[] }> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'warn', destination: { write: (line: string) => lines.push(line) } });
  const stack = await startStack({ env, registerWebhook: false, logger });
  return { stack, lines: () => lines };
}

const readyz = async (stack: Stack) => {
  const response = await fetch(`${stack.gateway.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
};

const url = (server: RedisServer, credentials = '') => server.url.replace('//', `//${credentials}`);

describe('readiness against Redis', () => {
  it('is ready on a primary it can use, as the user docs/operations.md recommends', async () => {
    const { stack } = await gatewayOn({ REDIS_URL: url(primary, 'gateway:gateway-secret@') });
    try {
      expect(await readyz(stack)).toMatchObject({ status: 200, body: { checks: { redis: 'ok' } } });
    } finally {
      await stack.close();
    }
  });

  it.each([
    [
      'a cluster node reached as a single server',
      () => ({ REDIS_URL: cluster.nodes[0]!.url }),
      /REDIS_CLUSTER_NODES/,
    ],
    ['a read-only replica', () => ({ REDIS_URL: replica.url }), /read-only replica.*REDIS_SENTINELS/],
    [
      'a user without a permission the gateway needs',
      () => ({ REDIS_URL: url(primary, 'narrow:narrow-secret@') }),
      /NOPERM.*ACL/,
    ],
  ])('is not ready on %s, and says in one line what to fix', async (_case, env, advice) => {
    const { stack, lines } = await gatewayOn(env());
    try {
      const { status, body } = await readyz(stack);
      expect(status).toBe(503);
      expect(body.checks.redis).toBe('failing');
      const said = lines().map((line) => (JSON.parse(line) as { msg: string }).msg);
      const problem = said.find((msg) => msg.startsWith('redis cannot be used'));
      expect(problem).toMatch(advice);
      expect(problem).not.toContain('narrow-secret');
    } finally {
      await stack.close();
    }
  });
});
