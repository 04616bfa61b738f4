// Who is calling: the principal every request and every graphql-ws connection runs as, with its roles
// and the scope of customers it may see. Built by auth/authenticate.ts; enforced by auth/scope.ts.
import { type BillwerkId } from '../billwerk/id.js';

export type Role = 'admin' | 'partner' | 'readonly' | 'customer';

/**
 * Which customers a principal may see. `all` for admin and readonly keys; `partner` for a partner key
 * (its configured ids, its external-id prefix, and the customers it signed up); `customer` for a
 * customer token; `none` for an anonymous caller (the catalogue only).
 */
export type Scope =
  | { readonly kind: 'all' }
  | { readonly kind: 'none' }
  | {
      readonly kind: 'partner';
      readonly partnerId: string;
      readonly customers: ReadonlySet<BillwerkId>;
      readonly externalIdPrefix?: string;
    }
  | { readonly kind: 'customer'; readonly customerId: BillwerkId };

export interface Principal {
  /**
   * Stable id of the caller (`key:<id>`, `customer:<id>`, `anonymous`); scopes idempotency keys and
   * subscription groups, so two callers never share either.
   */
  readonly id: string;
  readonly roles: readonly Role[];
  readonly scope: Scope;
  /** When the credentials stop being valid (a token's `exp`), epoch ms; undefined = never. */
  readonly expiresAt?: number;
  /** May run only trusted documents (an API key configured `trustedDocumentsOnly`). */
  readonly trustedDocumentsOnly?: boolean;
}

/** Every caller without credentials when ALLOW_ANONYMOUS=true: no roles, no customers. */
export const ANONYMOUS: Principal = Object.freeze({
  id: 'anonymous',
  roles: Object.freeze([]),
  scope: Object.freeze({ kind: 'none' as const }),
});

/** The holder of GATEWAY_ADMIN_KEY. */
export const ADMIN_KEY_HOLDER: Principal = Object.freeze({
  id: 'admin-key',
  roles: Object.freeze(['admin'] as const),
  scope: Object.freeze({ kind: 'all' as const }),
});

export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.includes(role);
}
