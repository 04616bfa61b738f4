// The placeholder principal: anonymous by default, admin only with the configured key in a Bearer header.
import {
  ADMIN_KEY_HOLDER,
  ANONYMOUS,
  hasRole,
  principalFromAuthorization,
} from '../../src/auth/principal.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = 'admin-key-0123456789abcdef';

describe('principal from the Authorization header', () => {
  it('is the admin for a Bearer header with the configured key', () => {
    expect(principalFromAuthorization(`Bearer ${KEY}`, KEY)).toBe(ADMIN_KEY_HOLDER);
    expect(principalFromAuthorization(`bearer  ${KEY} `, KEY)).toBe(ADMIN_KEY_HOLDER);
    expect(hasRole(ADMIN_KEY_HOLDER, 'admin')).toBe(true);
  });

  it('is anonymous without a key configured, without a header, or with another key', () => {
    for (const [header, key] of [
      [`Bearer ${KEY}`, undefined],
      [undefined, KEY],
      [`Bearer ${KEY}x`, KEY],
      [`Bearer ${KEY.slice(1)}`, KEY],
      [`Basic ${KEY}`, KEY],
      ['Bearer', KEY],
    ] as const) {
      expect(principalFromAuthorization(header, key)).toBe(ANONYMOUS);
    }
    expect(hasRole(ANONYMOUS, 'admin')).toBe(false);
  });
});

describe('GATEWAY_ADMIN_KEY', () => {
  it('is optional and read once', () => {
    expect(loadConfig({}).adminKey).toBeUndefined();
    expect(loadConfig({ GATEWAY_ADMIN_KEY: KEY }).adminKey).toBe(KEY);
  });

  it('refuses a short key without echoing it', () => {
    try {
      loadConfig({ GATEWAY_ADMIN_KEY: 'short-secret' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('GATEWAY_ADMIN_KEY');
      expect((error as ConfigError).message).not.toContain('short-secret');
    }
  });
});
