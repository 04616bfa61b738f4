// The parts of a request's GraphQL context that mutations need: the caller (authenticated by the
// server), the Idempotency-Key header, and the shared write dependencies.
import { type IncomingHttpHeaders } from 'node:http';
import { type Principal } from '../auth/principal.js';
import { type BillwerkClient } from '../billwerk/client.js';
import { type GraphQLContext } from '../graphql/context.js';
import { type IdempotencyStore } from '../store/idempotency-store.js';

export type MutationContext = Pick<
  GraphQLContext,
  'principal' | 'principalId' | 'billwerk' | 'idempotency' | 'idempotencyKeyHeader' | 'now'
>;

export interface MutationContextOptions {
  billwerk: BillwerkClient;
  idempotency: IdempotencyStore;
  /** The gateway's clock, epoch ms. @default Date.now */
  now?: () => number;
}

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** Builds the mutation fields of each request's context; headers are absent for subscriptions. */
export function createMutationContext(
  options: MutationContextOptions,
): (principal: Principal, headers?: IncomingHttpHeaders) => MutationContext {
  const clock = options.now ?? Date.now;
  const now = () => new Date(clock());
  return (principal, headers = {}) => ({
    principal,
    principalId: principal.id,
    billwerk: options.billwerk,
    idempotency: options.idempotency,
    idempotencyKeyHeader: first(headers['idempotency-key']),
    now,
  });
}
