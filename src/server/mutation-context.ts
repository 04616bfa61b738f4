// The parts of a request's GraphQL context that mutations need: the caller (from the Authorization header
// until real auth lands), the Idempotency-Key header, and the shared write dependencies.
import { type IncomingHttpHeaders } from 'node:http';
import { principalFromAuthorization } from '../auth/principal.js';
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
  /** GATEWAY_ADMIN_KEY: a request bearing it runs as admin. @default none (nobody is admin) */
  adminKey?: string;
  /** The gateway's clock, epoch ms. @default Date.now */
  now?: () => number;
}

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** Builds the mutation fields of each request's context; headers are absent for subscriptions. */
export function createMutationContext(
  options: MutationContextOptions,
): (headers?: IncomingHttpHeaders) => MutationContext {
  const clock = options.now ?? Date.now;
  const now = () => new Date(clock());
  return (headers = {}) => {
    const principal = principalFromAuthorization(headers.authorization, options.adminKey);
    return {
      principal,
      principalId: principal.id,
      billwerk: options.billwerk,
      idempotency: options.idempotency,
      idempotencyKeyHeader: first(headers['idempotency-key']),
      now,
    };
  };
}
