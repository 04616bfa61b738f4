// Standard Webhooks signatures (standardwebhooks.com): `webhook-signature` is a space-separated list of
// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret still valid, so a receiver holding either
// the new or the old secret verifies a delivery during a rotation's overlap.
import { createHmac, randomBytes } from 'node:crypto';
import { type SigningSecret } from './destination.js';

const PREFIX = 'whsec_';

/** A new secret: 32 random bytes, as `whsec_<base64>` (what the standardwebhooks libraries accept). */
export function newSigningSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/** One `v1,<signature>` for one secret. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** The secrets that still sign at `now` (epoch ms): the current one and any not yet expired. */
export function validSecrets(secrets: readonly SigningSecret[], now: number): string[] {
  return secrets.filter((s) => s.expiresAt === undefined || s.expiresAt > now).map((s) => s.secret);
}

/** The headers of one delivery attempt. */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => sign(secret, id, timestampSeconds, body)).join(' '),
  };
}
