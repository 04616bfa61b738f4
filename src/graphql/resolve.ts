// Small helpers resolvers share: turning a missing entity into NOT_FOUND, mapping lists.
import { ErrorCode, GatewayError } from './errors.js';

/** A missing entity becomes a NOT_FOUND error on its field (which GraphQL then sets to null). */
export function found<T>(value: T | null | undefined, type: string, id: string): T {
  if (value === null || value === undefined) {
    throw new GatewayError(ErrorCode.NOT_FOUND, `${type} ${id} was not found.`, { type, id });
  }
  return value;
}
