// Credentials → principal: the admin key, hashed API keys, customer tokens; everything else refused.
import { SignJWT } from 'jose';
import { createAuthenticator, hashKey } from '../../src/auth/authenticate.js';
import { AuthenticationError } from '../../src/auth/errors.js';
import { ADMIN_KEY_HOLDER, ANONYMOUS, hasRole } from '../../src/auth/principal.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = 'admin-key-0123456789abcdef';
const PARTNER_KEY = 'partner-key-0123456789abcdef';
const SECRET = 'jwt-secret-0123456789abcdef-0123456789abcdef';

const authenticator = (env: Record<string, string> = {}) => {
  const config = loadConfig({
    GATEWAY_ADMIN_KEY: KEY,
    API_KEYS: JSON.stringify([
      { id: 'p1', role: 'partner', sha256: hashKey(PARTNER_KEY), customers: ['65f0000000000000000000c1'] },
    ]),
    JWT_SECRET: SECRET,
    ...env,
  });
  return createAuthenticator({ auth: config.auth, adminKey: config.adminKey });
};

const token = (claims: { sub?: string; exp?: number }, secret = SECRET) => {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' });
  if (claims.sub) jwt = jwt.setSubject(claims.sub);
  if (claims.exp) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(secret));
};

describe('principal from the Authorization value', () => {
  it('is the admin for a Bearer header with the admin key', async () => {
    const authenticate = authenticator();
    expect(await authenticate(`Bearer ${KEY}`)).toBe(ADMIN_KEY_HOLDER);
    expect(await authenticate(`bearer  ${KEY} `)).toBe(ADMIN_KEY_HOLDER);
    expect(hasRole(ADMIN_KEY_HOLDER, 'admin')).toBe(true);
  });

  it('is a scoped partner for a configured API key', async () => {
    const principal = await authenticator()(`Bearer ${PARTNER_KEY}`);
    expect(principal).toMatchObject({ id: 'key:p1', roles: ['partner'], scope: { kind: 'partner' } });
  });

  it('is a customer for a valid token, with its expiry', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const principal = await authenticator()(
      `Bearer ${await token({ sub: '65f0000000000000000000c2', exp })}`,
    );
    expect(principal).toMatchObject({
      id: 'customer:65f0000000000000000000c2',
      roles: ['customer'],
      scope: { kind: 'customer', customerId: '65f0000000000000000000c2' },
      expiresAt: exp * 1000,
    });
  });

  it('refuses missing, unknown, malformed, expired and forged credentials without echoing them', async () => {
    const authenticate = authenticator();
    const past = Math.floor(Date.now() / 1000) - 10;
    const future = Math.floor(Date.now() / 1000) + 600;
    for (const value of [
      undefined,
      '',
      `Bearer ${KEY}x`,
      `Basic ${KEY}`,
      'Bearer',
      42,
      `Bearer ${await token({ sub: 'c', exp: past })}`,
      `Bearer ${await token({ sub: 'c', exp: future }, `${SECRET}-other`)}`,
      `Bearer ${await token({ sub: 'c' })}`,
      `Bearer ${await token({ exp: future })}`,
    ]) {
      const error = await authenticate(value).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).not.toContain(KEY);
    }
  });

  it('is anonymous without credentials only when ALLOW_ANONYMOUS=true', async () => {
    expect(await authenticator({ ALLOW_ANONYMOUS: 'true' })(undefined)).toBe(ANONYMOUS);
    expect(hasRole(ANONYMOUS, 'admin')).toBe(false);
  });
});

describe('auth configuration', () => {
  it('reads GATEWAY_ADMIN_KEY once and defaults anonymous access to off', () => {
    expect(loadConfig({}).adminKey).toBeUndefined();
    expect(loadConfig({ GATEWAY_ADMIN_KEY: KEY }).adminKey).toBe(KEY);
    expect(loadConfig({}).auth.allowAnonymous).toBe(false);
    expect(loadConfig({}).maxSubscriptionsPerConnection).toBe(100);
  });

  it('refuses a short key or JWT secret and bad API_KEYS without echoing secrets', () => {
    for (const env of [
      { GATEWAY_ADMIN_KEY: 'short-secret' },
      { JWT_SECRET: 'short-secret' },
      { API_KEYS: '[{"id":"x","role":"partner","sha256":"short-secret"}]' },
      { API_KEYS: 'short-secret' },
    ]) {
      try {
        loadConfig(env);
        throw new Error('expected a ConfigError');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).not.toContain('short-secret');
      }
    }
  });
});
