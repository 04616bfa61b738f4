// A store that cannot be reached (Redis or the database down) is an outage, not a bug in a mutation: every
// call that fails then throws StoreUnavailableError, which the GraphQL layer answers as UPSTREAM_UNAVAILABLE
// with `retryable: true`; the outage is logged once when it begins and once when it ends, however many
// mutations meet it.
import { type Logger } from '../logger.js';
import { type IdempotencyStore, LostKeyError, StoreUnavailableError } from './store.js';

/** `store` with its failures reported as StoreUnavailableError (LostKeyError, a verdict, passes through). */
export function guardedStore(store: IdempotencyStore, logger: Logger): IdempotencyStore {
  let down = false;
  const reach = async <T>(call: () => Promise<T>): Promise<T> => {
    let value: T;
    try {
      value = await call();
    } catch (error) {
      if (error instanceof LostKeyError) throw error;
      if (!down) {
        down = true;
        logger.warn(
          { err: error },
          'the idempotency store is not reachable: mutations answer UPSTREAM_UNAVAILABLE until it is back',
        );
      }
      throw new StoreUnavailableError(error);
    }
    if (down) {
      down = false;
      logger.info('the idempotency store is reachable again');
    }
    return value;
  };
  return {
    claim: (request) => reach(() => store.claim(request)),
    checkpoint: (scope, key, token, step, value) =>
      reach(() => store.checkpoint(scope, key, token, step, value)),
    complete: (scope, key, token, outcome) => reach(() => store.complete(scope, key, token, outcome)),
    release: (scope, key, token) => reach(() => store.release(scope, key, token)),
    discard: (scope, key, token) => reach(() => store.discard(scope, key, token)),
    waitForSettle: (scope, key, timeoutMs) => reach(() => store.waitForSettle(scope, key, timeoutMs)),
    purgeExpired: () => store.purgeExpired(),
    close: () => store.close(),
  };
}
