import { ConfigError, loadConfig, loadEmulatorConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('with nothing set, runs against the embedded emulator on the documented ports', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.billwerk).toEqual({ kind: 'emulator', port: 4001 });
    expect(config.production).toBe(false);
    expect(config.introspection).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('with billwerk credentials, talks to the sandbox unless a base URL is given', () => {
    expect(loadConfig({ BILLWERK_CLIENT_ID: 'id', BILLWERK_CLIENT_SECRET: 's3cret' }).billwerk).toEqual({
      kind: 'remote',
      baseUrl: 'https://sandbox.billwerk.com',
      clientId: 'id',
      clientSecret: 's3cret',
    });
    const prod = loadConfig({
      BILLWERK_CLIENT_ID: 'id',
      BILLWERK_CLIENT_SECRET: 's3cret',
      BILLWERK_BASE_URL: 'https://app.billwerk.com',
    });
    expect(prod.billwerk).toMatchObject({ kind: 'remote', baseUrl: 'https://app.billwerk.com' });
  });

  it('names the variable that holds a bad value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() =>
      loadConfig({ BILLWERK_BASE_URL: 'ftp://x', BILLWERK_CLIENT_ID: 'a', BILLWERK_CLIENT_SECRET: 'b' }),
    ).toThrow(/BILLWERK_BASE_URL/);
  });

  it('refuses half a set of credentials without echoing the secret', () => {
    let caught: unknown;
    try {
      loadConfig({ BILLWERK_CLIENT_SECRET: 'very-secret-value' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(/BILLWERK_CLIENT_ID/);
    expect((caught as Error).message).not.toContain('very-secret-value');
  });

  it('production mode turns introspection off unless asked for', () => {
    expect(loadConfig({ GATEWAY_MODE: 'production' }).introspection).toBe(false);
    expect(loadConfig({ GATEWAY_MODE: 'production', INTROSPECTION: 'true' }).introspection).toBe(true);
  });

  it('puts stack traces in error responses only when LOG_LEVEL=debug or ERROR_STACK_TRACES asks', () => {
    expect(loadConfig({}).stackTraces).toBe(false);
    expect(loadConfig({ LOG_LEVEL: 'debug' }).stackTraces).toBe(true);
    expect(loadConfig({ LOG_LEVEL: 'debug', ERROR_STACK_TRACES: 'false' }).stackTraces).toBe(false);
    expect(loadConfig({ ERROR_STACK_TRACES: 'true' }).stackTraces).toBe(true);
    expect(loadConfig({ GATEWAY_MODE: 'production', LOG_LEVEL: 'debug' }).stackTraces).toBe(false);
    expect(() => loadConfig({ GATEWAY_MODE: 'production', ERROR_STACK_TRACES: 'true' })).toThrow(
      /ERROR_STACK_TRACES/,
    );
  });

  it('uses Redis only when REDIS_URL is set, and never echoes its password', () => {
    expect(loadConfig({}).redis).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://:pw-secret@10.0.0.5:6380/2' }).redis).toEqual({
      topology: { kind: 'server', url: 'redis://:pw-secret@10.0.0.5:6380/2' },
      auth: { password: 'pw-secret', db: 2, tls: false },
      keyPrefix: 'bgg:',
      leaseMs: 5000,
      waitReplicas: 0,
      waitTimeoutMs: 1000,
    });
    expect(
      loadConfig({ REDIS_URL: 'rediss://cache.example:6380', REDIS_KEY_PREFIX: 'shop:' }).redis,
    ).toMatchObject({
      keyPrefix: 'shop:',
    });
    let message = '';
    try {
      loadConfig({ REDIS_URL: 'http://:pw-secret@10.0.0.5' });
    } catch (error) {
      message = (error as ConfigError).message;
    }
    expect(message).toMatch(/REDIS_URL/);
    expect(message).not.toContain('pw-secret');
  });

  it('connects through Sentinel or to a Cluster, whose keys share one hash tag', () => {
    expect(
      loadConfig({
        REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.7:26380',
        REDIS_SENTINEL_NAME: 'primary',
        REDIS_URL: 'rediss://gateway:pw-secret@ignored',
        REDIS_WAIT_REPLICAS: '1',
      }).redis,
    ).toMatchObject({
      topology: {
        kind: 'sentinel',
        name: 'primary',
        sentinels: [
          { host: 'sentinel-a', port: 26379 },
          { host: '10.0.0.7', port: 26380 },
        ],
      },
      auth: { username: 'gateway', password: 'pw-secret', tls: true },
      keyPrefix: 'bgg:',
      waitReplicas: 1,
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).redis).toMatchObject({
      topology: { kind: 'cluster' },
      keyPrefix: '{bgg}:',
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_KEY_PREFIX: 'shop:' }).redis?.keyPrefix).toBe(
      '{shop}:',
    );
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_KEY_PREFIX: 'x:{shop}:' }).redis?.keyPrefix,
    ).toBe('x:{shop}:');
    expect(() => loadConfig({ REDIS_SENTINELS: 'a:1' })).toThrow(/REDIS_SENTINEL_NAME/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_WAIT_REPLICAS: '1' })).toThrow(
      /REDIS_WAIT_REPLICAS/,
    );
    expect(() => loadConfig({ REDIS_URL: 'redis://a', REDIS_TLS_CA_FILE: 'package.json' })).toThrow(
      /REDIS_TLS_CA_FILE: needs REDIS_URL=rediss/,
    );
    expect(() => loadConfig({ REDIS_URL: 'rediss://a', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' })).toThrow(
      /REDIS_TLS_CA_FILE/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(4000);
  });
});

describe('loadEmulatorConfig', () => {
  it("defaults to port 4001 and the emulator's own credentials", () => {
    expect(loadEmulatorConfig({})).toEqual({ port: 4001, credentials: undefined });
  });

  it('reads the port and both credentials', () => {
    expect(
      loadEmulatorConfig({ EMULATOR_PORT: '0', EMULATOR_CLIENT_ID: 'id', EMULATOR_CLIENT_SECRET: 'secret' }),
    ).toEqual({ port: 0, credentials: { clientId: 'id', clientSecret: 'secret' } });
  });

  it('refuses a port out of range and one credential without the other, never echoing the secret', () => {
    expect(() => loadEmulatorConfig({ EMULATOR_PORT: '70000' })).toThrow(/EMULATOR_PORT/);
    const attempt = () => loadEmulatorConfig({ EMULATOR_CLIENT_SECRET: 'hunter2-secret' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).not.toThrow(/hunter2/);
  });
});
