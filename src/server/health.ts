// Liveness endpoint: answers while the process can serve HTTP at all.
// Readiness (billwerk reachable, stores writable) is a separate, later concern.
import { type FastifyInstance } from 'fastify';

export function registerHealth(app: FastifyInstance): void {
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
}
