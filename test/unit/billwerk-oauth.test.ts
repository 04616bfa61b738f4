import { MockAgent } from 'undici';
import { AuthenticationError, NetworkError, UpstreamError } from '../../src/billwerk/errors.js';
import { createTokenProvider, type TokenProviderOptions } from '../../src/billwerk/oauth.js';

const ORIGIN = 'http://billwerk.test';

function setup(overrides: Partial<TokenProviderOptions> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  let clock = 1_000_000;
  const requests: { authorization: string | undefined; body: string }[] = [];
  const replies: { status: number; body: object }[] = [];
  let issued = 0;
  pool
    .intercept({ path: '/oauth/token', method: 'POST' })
    .reply((opts) => {
      const headers = opts.headers as Record<string, string>;
      requests.push({
        authorization: headers.authorization,
        body: typeof opts.body === 'string' ? opts.body : '',
      });
      const next = replies.shift();
      if (next) return { statusCode: next.status, data: next.body };
      issued++;
      return {
        statusCode: 200,
        data: { access_token: `token-${issued}`, token_type: 'bearer', expires_in: 3600 },
      };
    })
    .persist();
  const provider = createTokenProvider({
    baseUrl: ORIGIN,
    clientId: 'client-id',
    clientSecret: 'client-secret-xyz',
    dispatcher: agent,
    timeoutMs: 1000,
    tokenMaxAgeMs: 24 * 3600_000,
    tokenRefreshMarginMs: 60_000,
    now: () => clock,
    ...overrides,
  });
  return {
    agent,
    provider,
    requests,
    replies,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('token provider', () => {
  it('posts client credentials with Basic auth and a form body', async () => {
    const { provider, requests, agent } = setup();
    await expect(provider.get()).resolves.toBe('token-1');
    expect(requests).toEqual([
      {
        authorization: `Basic ${Buffer.from('client-id:client-secret-xyz').toString('base64')}`,
        body: 'grant_type=client_credentials',
      },
    ]);
    await agent.close();
  });

  it('shares one token request among concurrent callers', async () => {
    const { provider, requests, agent } = setup();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.get()));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(requests).toHaveLength(1);
    await agent.close();
  });

  it('caches until the refresh margin before expires_in, then fetches anew', async () => {
    const { provider, requests, advance, agent } = setup();
    await provider.get();
    advance(3600_000 - 60_000 - 1);
    await expect(provider.get()).resolves.toBe('token-1');
    advance(1);
    await expect(provider.get()).resolves.toBe('token-2');
    expect(requests).toHaveLength(2);
    await agent.close();
  });

  it('without expires_in, caches for tokenMaxAgeMs', async () => {
    const { provider, replies, advance, agent } = setup({
      tokenMaxAgeMs: 10_000,
      tokenRefreshMarginMs: 1000,
    });
    replies.push({ status: 200, body: { access_token: 'forever', token_type: 'bearer' } });
    await expect(provider.get()).resolves.toBe('forever');
    advance(8_999);
    await expect(provider.get()).resolves.toBe('forever');
    advance(1);
    await expect(provider.get()).resolves.toBe('token-1');
    await agent.close();
  });

  it('keeps half of a short lifetime instead of refetching on every call', async () => {
    const { provider, replies, advance, requests, agent } = setup();
    replies.push({ status: 200, body: { access_token: 'short', token_type: 'bearer', expires_in: 2 } });
    await provider.get();
    advance(999);
    await expect(provider.get()).resolves.toBe('short');
    advance(1);
    await expect(provider.get()).resolves.toBe('token-1');
    expect(requests).toHaveLength(2);
    await agent.close();
  });

  it('does not cache a failed fetch', async () => {
    const { provider, replies, requests, agent } = setup();
    replies.push({ status: 503, body: { Message: 'down' } });
    await expect(provider.get()).rejects.toBeInstanceOf(UpstreamError);
    await expect(provider.get()).resolves.toBe('token-1');
    expect(requests).toHaveLength(2);
    await agent.close();
  });

  it('reports refused credentials as AuthenticationError without the secret', async () => {
    const { provider, replies, agent } = setup();
    replies.push({ status: 401, body: { Message: 'invalid client client-secret-xyz' } });
    const error = await provider.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(String(error)).not.toContain('client-secret-xyz');
    expect(JSON.stringify(error)).not.toContain('client-secret-xyz');
    await agent.close();
  });

  it('rejects an answer without an access token', async () => {
    const { provider, replies, agent } = setup();
    replies.push({ status: 200, body: { token_type: 'bearer' } });
    await expect(provider.get()).rejects.toThrow(/without an access token/);
    await agent.close();
  });

  it('invalidate drops only the token it names', async () => {
    const { provider, requests, agent } = setup();
    const first = await provider.get();
    provider.invalidate('some-older-token');
    await expect(provider.get()).resolves.toBe(first);
    provider.invalidate(first);
    await expect(provider.get()).resolves.toBe('token-2');
    expect(requests).toHaveLength(2);
    await agent.close();
  });

  it('surfaces a refused connection as NetworkError', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get(ORIGIN)
      .intercept({ path: '/oauth/token', method: 'POST' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    const provider = createTokenProvider({
      baseUrl: ORIGIN,
      clientId: 'id',
      clientSecret: 'secret-value',
      dispatcher: agent,
      timeoutMs: 1000,
      tokenMaxAgeMs: 1000,
      tokenRefreshMarginMs: 0,
      now: () => 0,
    });
    await expect(provider.get()).rejects.toBeInstanceOf(NetworkError);
    await agent.close();
  });
});
