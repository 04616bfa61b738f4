// Who is calling: the principal every request runs as, and the one role check resolvers rely on.
// A placeholder until real auth (API keys, JWT) lands: anonymous, or admin with GATEWAY_ADMIN_KEY.
import { createHash, timingSafeEqual } from 'node:crypto';

export type Role = 'admin' | 'partner' | 'readonly' | 'customer';

export interface Principal {
  /** Stable id of the caller; scopes idempotency keys, so two callers never share one. */
  readonly id: string;
  readonly roles: readonly Role[];
}

/** Every caller until real auth exists: no roles. */
export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', roles: Object.freeze([]) });

/** The holder of GATEWAY_ADMIN_KEY. */
export const ADMIN_KEY_HOLDER: Principal = Object.freeze({
  id: 'admin-key',
  roles: Object.freeze(['admin'] as const),
});

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The principal behind an `Authorization` header. Comparing equal-length digests in constant time keeps
 * both the key's content and its length out of the response timing.
 */
export function principalFromAuthorization(
  authorization: string | undefined,
  adminKey: string | undefined,
): Principal {
  if (adminKey === undefined || authorization === undefined) return ANONYMOUS;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) return ANONYMOUS;
  return timingSafeEqual(digest(match[1]), digest(adminKey)) ? ADMIN_KEY_HOLDER : ANONYMOUS;
}

export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.includes(role);
}
