// billwerk ids for tests: `bid` parses one (throwing on a bad literal), `fakeId` makes the n-th of a series.
import { parseBillwerkId, type BillwerkId } from '../../src/billwerk/id.js';

export function bid(value: string): BillwerkId {
  const id = parseBillwerkId(value);
  if (id === undefined) throw new TypeError(`not a billwerk id: ${value}`);
  return id;
}

/** The n-th id of a series, sorted as n is: `fakeId(9)` is `000000000000000000000009`. */
export const fakeId = (n: number): BillwerkId => bid(n.toString(16).padStart(24, '0'));
