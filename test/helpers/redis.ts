// redis-server for jest suites: `useRedisServer` starts one per test file (see redis-server.ts).
import { afterAll, beforeAll } from '@jest/globals';
import { startRedis, type RedisServer } from './redis-server.js';

export { startRedis, type RedisServer } from './redis-server.js';

/** One redis-server for a test file: started before its tests, removed after them. */
export function useRedisServer(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => server!;
}
