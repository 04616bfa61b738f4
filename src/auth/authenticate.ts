// Credentials → principal: `Authorization: Bearer <api key | customer token>` on HTTP, the same value in
// graphql-ws `connectionParams.authorization`. API keys are matched by their SHA-256 digest (the
// configuration holds digests only); customer tokens are JWTs verified with jose.
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { MAX_EXTERNAL_ID_LENGTH, parseBillwerkId, type BillwerkId } from '../billwerk/id.js';
import { type ApiKeyEntry, type AuthConfig } from '../config.js';
import { AuthenticationError } from './errors.js';
import { ADMIN_KEY_HOLDER, ANONYMOUS, type Principal } from './principal.js';

export interface AuthenticatorOptions {
  auth: AuthConfig;
  /** GATEWAY_ADMIN_KEY, an admin key given in clear. @default none */
  adminKey?: string;
  /** The gateway's clock for token expiry, epoch ms. @default Date.now */
  now?: () => number;
  /**
   * billwerk's customer id for an external customer id (`ExternalCustomerId`), or undefined when no single
   * customer has it. Needed when JWT_CUSTOMER_ID_KIND is `external`; answers are cached (EXTERNAL_ID_TTL_MS).
   * @default none: tokens naming an external id are refused
   */
  findCustomerByExternalId?: (externalId: string) => Promise<string | undefined>;
}

/**
 * How long an external id's billwerk customer id is kept. billwerk lets the external id of a customer be
 * changed, so the mapping is not kept forever; a minute spares billwerk a lookup per request while a
 * changed id takes effect soon. Unknown ids are not cached: the next token for a new customer works at once.
 */
export const EXTERNAL_ID_TTL_MS = 60_000;

/** Resolves the `authorization` value of a request or connection to its principal, or throws AuthenticationError. */
export type Authenticate = (authorization: unknown) => Promise<Principal>;

/** Hex SHA-256 of a key: what API_KEYS stores (`npm run hash-key`). */
export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** Three base64url segments: the compact JWS form a customer token has. API keys are never shaped so. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** The principal of a configured API key (also how an event destination's owner is found again). */
export function apiKeyPrincipal(entry: ApiKeyEntry): Principal {
  const scope: Principal['scope'] =
    entry.role === 'partner'
      ? {
          kind: 'partner',
          partnerId: entry.id,
          customers: new Set(entry.customers ?? []),
          externalIdPrefix: entry.externalIdPrefix,
        }
      : { kind: 'all' };
  return Object.freeze({
    id: `key:${entry.id}`,
    roles: Object.freeze([entry.role]),
    scope,
    trustedDocumentsOnly: entry.trustedDocumentsOnly === true,
  });
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticate {
  const { auth } = options;
  const clock = options.now ?? Date.now;
  // Looking up the digest, not the key, keeps lookup timing independent of the key's content: an
  // attacker cannot steer a SHA-256 digest towards a stored one.
  const byDigest = new Map<string, Principal>();
  for (const entry of auth.apiKeys) byDigest.set(entry.sha256, apiKeyPrincipal(entry));
  if (options.adminKey !== undefined) byDigest.set(hashKey(options.adminKey), ADMIN_KEY_HOLDER);

  const jwt = auth.jwt;
  let key: Uint8Array | JWTVerifyGetKey | undefined;
  if (jwt?.secret !== undefined) key = new TextEncoder().encode(jwt.secret);
  else if (jwt?.jwksUrl !== undefined) key = createRemoteJWKSet(new URL(jwt.jwksUrl));
  const algorithms = jwt?.secret !== undefined ? ['HS256'] : ['RS256', 'ES256'];
  const externalIds = new LRUCache<string, BillwerkId>({ max: 10_000, ttl: EXTERNAL_ID_TTL_MS });

  /**
   * The billwerk customer id a token's claim names, per JWT_CUSTOMER_ID_KIND. A billwerk id claim must be
   * one; an external id is bounded and travels only as a query value (customers?externalId=…).
   */
  async function customerIdOf(claim: string): Promise<BillwerkId> {
    const unknownCustomer = () => new AuthenticationError('The token names no known customer.');
    if (jwt?.customerIdKind !== 'external') {
      const id = parseBillwerkId(claim);
      if (id === undefined) throw unknownCustomer();
      return id;
    }
    if (claim.length > MAX_EXTERNAL_ID_LENGTH) throw unknownCustomer();
    const cached = externalIds.get(claim);
    if (cached !== undefined) return cached;
    const found = parseBillwerkId(await options.findCustomerByExternalId?.(claim));
    if (found === undefined) throw unknownCustomer();
    externalIds.set(claim, found);
    return found;
  }

  async function customerPrincipal(token: string): Promise<Principal> {
    if (!jwt || key === undefined) throw new AuthenticationError('The credentials are not valid.');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        issuer: jwt.issuer,
        audience: jwt.audience,
        requiredClaims: ['exp'],
        currentDate: new Date(clock()),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AuthenticationError('The token has expired.');
      throw new AuthenticationError('The token is not valid.');
    }
    const claim = payload[jwt.customerClaim];
    if (typeof claim !== 'string' || claim === '') {
      throw new AuthenticationError(`The token has no ${jwt.customerClaim} claim naming a customer.`);
    }
    const customerId = await customerIdOf(claim);
    return Object.freeze({
      id: `customer:${customerId}`,
      roles: Object.freeze(['customer'] as const),
      scope: Object.freeze({ kind: 'customer' as const, customerId }),
      expiresAt: payload.exp! * 1000,
    });
  }

  return async (authorization) => {
    if (authorization === undefined || authorization === null || authorization === '') {
      if (auth.allowAnonymous) return ANONYMOUS;
      throw new AuthenticationError('Credentials are required: send Authorization: Bearer <key or token>.');
    }
    const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!match?.[1]) throw new AuthenticationError('Expected Authorization: Bearer <key or token>.');
    const credential = match[1];
    const apiKey = byDigest.get(hashKey(credential));
    if (apiKey) return apiKey;
    if (JWT_SHAPE.test(credential)) return customerPrincipal(credential);
    throw new AuthenticationError('The credentials are not valid.');
  };
}
