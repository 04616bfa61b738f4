// The parts of a request's GraphQL context that mutations need: the caller (authenticated by the
// server), the Idempotency-Key header, and the shared write dependencies.
import { type IncomingHttpHeaders } from 'node:http';
import { type Principal } from '../auth/principal.js';
import { type BillwerkClient } from '../billwerk/client.js';
import { type GraphQLContext } from '../graphql/context.js';
import { idempotencyKeyHeader } from '../idempotency/key.js';
import { guardedStore } from '../idempotency/outage.js';
import { type IdempotencyStore } from '../idempotency/store.js';
import { type Logger } from '../logger.js';

export type MutationContext = Pick<
  GraphQLContext,
  'principal' | 'principalId' | 'billwerk' | 'idempotency' | 'idempotencyKeyHeader' | 'now'
>;

export interface MutationContextOptions {
  billwerk: BillwerkClient;
  idempotency: IdempotencyStore;
  /** Where an outage of the idempotency store is reported (once when it begins, once when it ends). */
  logger: Logger;
  /** The gateway's clock, epoch ms. @default Date.now */
  now?: () => number;
}

/** Builds the mutation fields of each request's context; headers are absent for subscriptions. */
export function createMutationContext(
  options: MutationContextOptions,
): (principal: Principal, headers?: IncomingHttpHeaders) => MutationContext {
  const clock = options.now ?? Date.now;
  const now = () => new Date(clock());
  const idempotency = guardedStore(options.idempotency, options.logger);
  return (principal, headers = {}) => ({
    principal,
    principalId: principal.id,
    billwerk: options.billwerk,
    idempotency,
    idempotencyKeyHeader: idempotencyKeyHeader(headers),
    now,
  });
}
