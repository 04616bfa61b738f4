// OAuth access tokens: random opaque strings with an expiry on the emulated clock, revocable at once.
// The clock (not wall time) measures the lifetime so a test can expire a token by advancing it.
import { randomBytes } from 'node:crypto';
import { type EmulatorClock } from './clock.js';

export interface TokenStore {
  issue(): { token: string; expiresIn: number };
  isValid(token: string): boolean;
  revokeAll(): void;
}

export function createTokenStore(clock: EmulatorClock, ttlSeconds: number): TokenStore {
  const tokens = new Map<string, number>();
  return {
    issue() {
      const token = randomBytes(32).toString('base64url');
      tokens.set(token, clock.now().getTime() + ttlSeconds * 1000);
      return { token, expiresIn: ttlSeconds };
    },
    isValid(token) {
      const expiresAt = tokens.get(token);
      if (expiresAt === undefined) return false;
      if (clock.now().getTime() < expiresAt) return true;
      tokens.delete(token);
      return false;
    },
    revokeAll: () => tokens.clear(),
  };
}
