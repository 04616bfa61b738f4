// Who may post webhooks: HTTP Basic credentials and/or a secret path token, compared in constant time.
// billwerk signs nothing (webhooks.md), so these shared secrets are the only authentication there is.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Equal-length digests make the comparison constant-time whatever the lengths of the inputs. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface WebhookCredentials {
  basicAuth?: { user: string; password: string };
  pathToken?: string;
}

/**
 * The one answer to every credential failure (401). Naming the part that failed would let a caller
 * confirm a leaked or guessed path token without the password, and the password without the token.
 */
export const WEBHOOK_UNAUTHORIZED = Object.freeze({
  error: 'Unauthorized',
  message: 'missing or wrong webhook credentials',
});

const BASIC = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i;

/**
 * Whether the request carries every configured credential. Both secrets are always compared, each in
 * constant time, and the verdicts are combined only afterwards: neither the answer nor its timing tells
 * which one failed.
 */
export function checkWebhookAuth(
  credentials: WebhookCredentials,
  request: { authorization?: string; pathToken?: string },
): boolean {
  let tokenOk = true;
  if (credentials.pathToken !== undefined) {
    const matches = safeEqual(request.pathToken ?? '', credentials.pathToken);
    tokenOk = matches && request.pathToken !== undefined;
  }
  let basicOk = true;
  if (credentials.basicAuth) {
    const encoded = BASIC.exec(request.authorization ?? '')?.[1];
    const given = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
    const matches = safeEqual(given, `${credentials.basicAuth.user}:${credentials.basicAuth.password}`);
    basicOk = matches && encoded !== undefined;
  }
  return tokenOk && basicOk;
}
