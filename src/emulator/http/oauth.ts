// The OAuth 2.0 client-credentials token endpoint and the Bearer check for /api/v1 (README.md "Authentication").
// Credentials by Basic header or form fields; the token by Authorization header or ?access_token=.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenResponse } from '../../billwerk/dto.js';
import { EmulatorError, unauthorized } from '../errors.js';
import { Query, isRecord } from '../input.js';
import { type TokenStore } from '../tokens.js';

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

/** Compares digests, so the time taken says nothing about how much of a secret matched. */
function same(a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function field(body: unknown, name: string): string | undefined {
  const value = isRecord(body) ? body[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded before base64. */
function basic(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      return text;
    }
  };
  return { clientId: decode(decoded.slice(0, colon)), clientSecret: decode(decoded.slice(colon + 1)) };
}

export function oauthRoutes(app: FastifyInstance, credentials: Credentials, tokens: TokenStore): void {
  app.post('/oauth/token', (request, reply) => {
    const offered = basic(request.headers.authorization) ?? {
      clientId: field(request.body, 'client_id') ?? '',
      clientSecret: field(request.body, 'client_secret') ?? '',
    };
    const valid =
      same(offered.clientId, credentials.clientId) && same(offered.clientSecret, credentials.clientSecret);
    if (!valid) throw unauthorized('Invalid client credentials');
    const grant = field(request.body, 'grant_type');
    if (grant !== 'client_credentials') {
      throw new EmulatorError(400, `Unsupported grant_type '${grant ?? ''}'; use client_credentials`);
    }
    const { token, expiresIn } = tokens.issue();
    const body: TokenResponse = { access_token: token, token_type: 'bearer', expires_in: expiresIn };
    return reply.header('cache-control', 'no-store').send(body);
  });
}

/** The Bearer token of a request, from the header or from ?access_token=. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1] ?? new Query(request.query).string('access_token');
}

export function requireToken(request: FastifyRequest, tokens: TokenStore): void {
  const token = bearerToken(request);
  if (!token) throw unauthorized('Authorization has been denied for this request (no access token)');
  if (!tokens.isValid(token))
    throw unauthorized('Authorization has been denied for this request (token invalid or expired)');
}
