// Idempotent mutations: one key → one attempt at billwerk, its outcome replayed to every repeat, a
// concurrent repeat waiting for it, and a retry after a transient failure resuming from its checkpoints.
import { createHash } from 'node:crypto';
import { AuthenticationError, ForbiddenError, OutOfScopeError } from '../auth/errors.js';
import { BillwerkError } from '../billwerk/errors.js';
import { LostKeyError, StoreUnavailableError, type Checkpoints, type StoredOutcome } from './store.js';
import { type GraphQLContext } from '../graphql/context.js';
import { fingerprintOf, resolveKey } from './key.js';
import { ErrorCode, GatewayError, isKnownError, mapError } from '../graphql/errors.js';

/** A repeat waits this long for the attempt it found running, then gets CONFLICT. */
const WAIT_MS = 60_000;

/** The named, recorded steps of one attempt. */
export interface Steps {
  /** True when an earlier attempt with this key stopped midway (see `step`). */
  readonly resumed: boolean;
  /** A short stable hash of caller and key, for billwerk's own dedupe fields (e.g. a usage record's Key). */
  readonly keyHash: string;
  /**
   * Runs `action` once per key: its result is stored before the next step starts, and a resumed
   * attempt gets the stored result without running it again.
   */
  step<T>(name: string, action: () => Promise<T>): Promise<T>;
}

export interface IdempotentCall<T> {
  /** The mutation's field name; part of the fingerprint, so a key cannot serve two mutations. */
  operation: string;
  /** The validated, normalised input (billwerk ids, ISO dates): what "the same input" means. */
  input: unknown;
  /** `input.idempotencyKey`; the Idempotency-Key header is used when it is absent. */
  key: string | null | undefined;
  /** The work; its result must be JSON (billwerk DTOs), as it is stored for replays. */
  run(steps: Steps): Promise<T>;
}

export interface IdempotentResult<T> {
  value: T;
  /** True when the value is the stored outcome of an earlier request. */
  replayed: boolean;
}

/**
 * A refusal that is the attempt's outcome although it comes after billwerk writes (e.g. the order of an
 * interrupted attempt has expired meanwhile): stored and replayed like billwerk's own 4xx answers.
 */
export class FinalError extends GatewayError {}

/**
 * What an attempt's failure means for its key:
 * - `final`: billwerk answered about the request (4xx), or the caller may not do it (a contract outside
 *   its scope, a role that may not): stored and replayed, like a success.
 * - `retry`: no answer, or billwerk failed (timeout, network, 5xx, 429, the gateway's own credentials):
 *   the key keeps its input and checkpoints, and a retry with it resumes where this attempt stopped.
 * - `forget`: the gateway refused the input before any billwerk write: the key is freed for a corrected input.
 */
function dispositionOf(error: unknown, wroteSomething: boolean): 'final' | 'retry' | 'forget' {
  if (error instanceof BillwerkError) {
    switch (error.code) {
      case 'VALIDATION':
      case 'NOT_FOUND':
      case 'CONFLICT':
        return 'final';
      case 'RATE_LIMITED':
      case 'AUTHENTICATION':
      case 'FORBIDDEN':
      case 'UPSTREAM':
      case 'TIMEOUT':
      case 'NETWORK':
      case 'UNEXPECTED':
        return 'retry';
    }
  }
  if (
    error instanceof FinalError ||
    error instanceof OutOfScopeError ||
    error instanceof ForbiddenError ||
    error instanceof AuthenticationError
  ) {
    return 'final';
  }
  if (error instanceof GatewayError && !wroteSomething) return 'forget';
  return 'retry';
}

function replay<T>(outcome: StoredOutcome): IdempotentResult<T> {
  if (outcome.ok) return { value: outcome.value as T, replayed: true };
  const { code, message, extensions } = outcome.error;
  const known =
    Object.values(ErrorCode).find((c) => c === (code as ErrorCode)) ?? ErrorCode.INTERNAL_SERVER_ERROR;
  throw new GatewayError(known, message, { ...extensions, replayed: true });
}

/** Runs `call` at most once per (principal, key); see the module comment and docs/mutations.md. */
export async function idempotent<T>(
  ctx: GraphQLContext,
  call: IdempotentCall<T>,
): Promise<IdempotentResult<T>> {
  const store = ctx.idempotency;
  const scope = ctx.principalId;
  const key = resolveKey(ctx, call.key);
  const fingerprint = fingerprintOf(call.operation, call.input);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const claim = await store.claim({ scope, key, operation: call.operation, fingerprint });
    switch (claim.kind) {
      case 'mismatch':
        throw new GatewayError(
          ErrorCode.CONFLICT,
          `This idempotency key was already used for ${claim.operation} with a different input; use a new key for a new request.`,
          { field: 'idempotencyKey' },
        );
      case 'done':
        return replay<T>(claim.outcome);
      case 'running': {
        const remaining = deadline - Date.now();
        if (remaining <= 0 || !(await store.waitForSettle(scope, key, remaining))) {
          throw new GatewayError(
            ErrorCode.CONFLICT,
            'A request with this idempotency key is still in progress; retry with the same key later.',
            { field: 'idempotencyKey', retryable: true },
          );
        }
        continue;
      }
      case 'acquired':
        return attempt(ctx, call, { scope, key, token: claim.token }, claim.checkpoints, claim.resumed);
    }
  }
}

async function attempt<T>(
  ctx: GraphQLContext,
  call: IdempotentCall<T>,
  held: { scope: string; key: string; token: string },
  stored: Checkpoints,
  resumed: boolean,
): Promise<IdempotentResult<T>> {
  const store = ctx.idempotency;
  const { scope, key, token } = held;
  const checkpoints = new Map(Object.entries(stored));
  const steps: Steps = {
    resumed,
    keyHash: createHash('sha256').update(`${scope}\u0000${key}`).digest('hex').slice(0, 24),
    async step<S>(name: string, action: () => Promise<S>): Promise<S> {
      if (checkpoints.has(name)) return checkpoints.get(name) as S;
      const value = await action();
      await store.checkpoint(scope, key, token, name, value);
      checkpoints.set(name, value);
      return value;
    },
  };
  let value: T;
  try {
    value = await call.run(steps);
  } catch (error) {
    throw await settleFailure(ctx, held, error, checkpoints.size > 0);
  }
  try {
    await store.complete(scope, key, token, { ok: true, value });
  } catch (error) {
    // billwerk did the work; the caller gets its result even if it could not be stored.
    ctx.logger.error({ err: error, operation: call.operation }, 'could not store an idempotent result');
  }
  return { value, replayed: false };
}

async function settleFailure(
  ctx: GraphQLContext,
  held: { scope: string; key: string; token: string },
  error: unknown,
  wroteSomething: boolean,
): Promise<unknown> {
  const store = ctx.idempotency;
  const { scope, key, token } = held;
  if (error instanceof LostKeyError) {
    return new GatewayError(
      ErrorCode.CONFLICT,
      'This request took too long and another request with the same idempotency key took over.',
      { field: 'idempotencyKey' },
    );
  }
  const disposition = dispositionOf(error, wroteSomething);
  if (!isKnownError(error)) ctx.logger.error({ err: error }, 'mutation failed unexpectedly');
  try {
    if (disposition === 'final') {
      const mapped = mapError(error);
      const extensions = mapped.extensions ?? {};
      await store.complete(scope, key, token, {
        ok: false,
        error: { code: mapped.code, message: mapped.message, extensions },
      });
      return error;
    }
    if (disposition === 'forget') {
      await store.discard(scope, key, token);
      return error;
    }
    await store.release(scope, key, token);
  } catch (storeError) {
    // An unreachable store is logged once per outage (outage.ts), not once per mutation.
    if (!(storeError instanceof StoreUnavailableError)) {
      ctx.logger.error({ err: storeError }, 'could not record the end of an idempotent attempt');
    }
  }
  if (disposition !== 'retry') return error;
  // Nothing is stored for this outcome: say that a retry with the same key is safe and resumes.
  const mapped = mapError(error);
  return new GatewayError(mapped.code, mapped.message, { ...mapped.extensions, retryable: true });
}
