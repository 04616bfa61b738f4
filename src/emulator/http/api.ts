// What the REST routes share: the state, a way to run a lifecycle operation, and reply helpers.
// `run` gives each operation the emulated instant and hands its notices to the webhook sender afterwards.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { preconditionFailed } from '../errors.js';
import { type Ctx } from '../domain/context.js';
import { type State } from '../store.js';

export interface Api {
  state: State;
  /** The emulated now, epoch ms. */
  now(): number;
  /** Runs an operation at the emulated now; its notices are published once it returns. */
  run<T>(operation: (ctx: Ctx) => T): T;
}

/** A strong ETag over the exact JSON sent, so GET and If-Match agree byte for byte. */
export function etagOf(json: string): string {
  return `"${createHash('sha1').update(json).digest('base64url')}"`;
}

/**
 * Sends JSON with an ETag (README.md "Conditional requests": most responses carry one). A GET whose
 * If-None-Match names the current ETag gets 304 with no body.
 */
export function sendJson(
  request: FastifyRequest,
  reply: FastifyReply,
  body: unknown,
  status = 200,
): FastifyReply {
  const json = JSON.stringify(body);
  const etag = etagOf(json);
  reply.header('etag', etag);
  if (request.method === 'GET' && request.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.code(status).type('application/json; charset=utf-8').send(json);
}

/** If-Match on PUT/PATCH: 412 when the entity changed since the caller read it (resources.md). */
export function checkIfMatch(request: FastifyRequest, current: unknown): void {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return;
  const etag = etagOf(JSON.stringify(current));
  const offered = header.split(',').map((item) => item.trim().replace(/^W\//, ''));
  if (!offered.includes(etag))
    throw preconditionFailed('The entity was changed since it was read (If-Match failed)');
}

export interface IdParams {
  id: string;
}
