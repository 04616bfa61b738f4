// Credentials for integration tests: the admin key every stack starts with, API key entries, and
// customer tokens signed with jose.
import { SignJWT } from 'jose';
import { hashKey } from '../../src/auth/authenticate.js';

/** GATEWAY_ADMIN_KEY of test stacks; the SDK and ws helpers send it unless told otherwise. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';
/** JWT_SECRET for stacks that accept customer tokens. */
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef-0123456789';

export const bearer = (credential: string): string => `Bearer ${credential}`;

/** One API_KEYS entry for `key` (stored as its digest, as in production). */
export function apiKey(
  key: string,
  entry: {
    id: string;
    role: 'admin' | 'partner' | 'readonly';
    customers?: string[];
    externalIdPrefix?: string;
  },
): Record<string, unknown> {
  return { ...entry, sha256: hashKey(key) };
}

/** A customer token for `customerId`, HS256 with TEST_JWT_SECRET unless another key is given. */
export async function customerToken(
  customerId: string,
  options: { expiresAt?: Date; secret?: string; issuer?: string; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? new Date(Date.now() + 60 * 60 * 1000));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}
