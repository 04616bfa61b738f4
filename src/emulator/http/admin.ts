// The admin surface under /emulator/: clock, faults, request log, token revocation. No auth, so it
// answers loopback callers only; it is the emulator's own API, not billwerk's.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type EmulatorClock } from '../clock.js';
import { EmulatorError, unprocessable } from '../errors.js';
import { parseBody } from '../input.js';
import { iso, parseIso } from '../time.js';
import { type TokenStore } from '../tokens.js';
import { type FaultInjector } from './faults.js';
import { type RequestLog } from './requests.js';

export interface AdminDeps {
  clock: EmulatorClock;
  faults: FaultInjector;
  requests: RequestLog;
  tokens: TokenStore;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const advanceBody = z.union([
  z.object({ ms: z.number().nonnegative() }),
  z.object({ to: z.string().refine((text) => parseIso(text) !== undefined, 'must be an ISO-8601 date') }),
]);

const faultBody = z.object({
  method: z.string().optional(),
  path: z.string(),
  status: z.number().int().min(100).max(599).optional(),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  delayMs: z.number().nonnegative().optional(),
  times: z.number().int().positive().optional(),
});

export function adminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const local = LOOPBACK.has(request.socket.remoteAddress ?? '');
    done(
      local ? undefined : new EmulatorError(403, 'The emulator admin surface answers loopback callers only'),
    );
  });

  const clockView = () => ({ now: iso(deps.clock.now().getTime()) });

  app.get('/emulator/clock', () => clockView());

  app.post('/emulator/clock/advance', async (request) => {
    const body = parseBody(advanceBody, request.body);
    try {
      if ('ms' in body) await deps.clock.advance(body.ms);
      else await deps.clock.advanceTo(new Date(parseIso(body.to) ?? Number.NaN));
    } catch (error) {
      if (error instanceof RangeError) throw unprocessable(error.message);
      throw error;
    }
    return clockView();
  });

  app.post('/emulator/faults', (request, reply) => {
    const rule = parseBody(faultBody, request.body);
    deps.faults.inject(rule);
    return reply.code(204).send();
  });

  app.delete('/emulator/faults', (_request, reply) => {
    deps.faults.clear();
    return reply.code(204).send();
  });

  app.get('/emulator/requests', () => deps.requests.list());

  app.delete('/emulator/requests', (_request, reply) => {
    deps.requests.reset();
    return reply.code(204).send();
  });

  app.post('/emulator/tokens/revoke', (_request, reply) => {
    deps.tokens.revokeAll();
    return reply.code(204).send();
  });
}
