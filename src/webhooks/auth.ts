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

export type AuthVerdict = { ok: true } | { ok: false; reason: string };

/** Checks every configured credential; each must match. */
export function checkWebhookAuth(
  credentials: WebhookCredentials,
  request: { authorization?: string; pathToken?: string },
): AuthVerdict {
  if (credentials.pathToken !== undefined) {
    if (request.pathToken === undefined)
      return { ok: false, reason: 'the webhook URL needs its secret path token' };
    if (!safeEqual(request.pathToken, credentials.pathToken))
      return { ok: false, reason: 'wrong path token' };
  }
  if (credentials.basicAuth) {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.authorization ?? '');
    if (!match) return { ok: false, reason: 'HTTP Basic credentials are required' };
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const expected = `${credentials.basicAuth.user}:${credentials.basicAuth.password}`;
    if (!safeEqual(decoded, expected)) return { ok: false, reason: 'wrong HTTP Basic credentials' };
  }
  return { ok: true };
}
