// billwerk list paging: bare arrays with `take`, `skip` and the stable `from=<Id>` cursor.
// Order: newest first by Id (ObjectIds grow with time), which keeps `from` stable under inserts.
import type { Id } from '../billwerk/dto.js';
import { unprocessable } from './errors.js';
import { type Query } from './input.js';

/** Page size when `take` is absent [inferred]: billwerk does not document its default. */
export const DEFAULT_TAKE = 100;
/** Largest accepted `take` [inferred]; clients use ≤ 500 (README.md "Paging"). */
export const MAX_TAKE = 500;
/** billwerk caps `skip` at 1000 (README.md "Paging"). */
export const MAX_SKIP = 1000;

/**
 * One page. `from` is inclusive [inferred] (README.md: "it looks inclusive"): the item with that Id
 * comes first when it still exists. Over-large `take`/`skip` answer 422 rather than a silently short
 * page, which a client would read as the end of the walk.
 */
export function page<T extends { Id: Id }>(items: Iterable<T>, query: Query): T[] {
  const take = query.int('take') ?? DEFAULT_TAKE;
  const skip = query.int('skip') ?? 0;
  const from = query.string('from')?.toLowerCase();
  if (take > MAX_TAKE) throw unprocessable(`take must not exceed ${MAX_TAKE}`);
  if (skip > MAX_SKIP) throw unprocessable(`skip must not exceed ${MAX_SKIP}`);
  let sorted = [...items].sort((a, b) => (a.Id < b.Id ? 1 : a.Id > b.Id ? -1 : 0));
  if (from !== undefined) sorted = sorted.filter((item) => item.Id <= from);
  return sorted.slice(skip, skip + take);
}
