// Paging over billwerk's `take`/`from=<Id>` cursor: one page after a cursor, or a lazy walk of all pages.
// Works whether billwerk's cursor is inclusive (as it looks, [inferred]) or exclusive.
import { answeredId, type BillwerkId } from './id.js';

/**
 * Fetches one raw page: at most `take` items, starting at (or after: billwerk does not say which) the item
 * with Id `from`; fetchPageAfter makes of it a page strictly after `from`.
 */
export type RawPageSource<T> = (page: { take: number; from?: BillwerkId }) => Promise<T[]>;

/** @default page size when a caller names none. */
export const DEFAULT_PAGE_SIZE = 100;
/**
 * billwerk clients ask for at most 500 per request (README "Paging"; the real cap is undocumented) and
 * the inclusive cursor costs one of them.
 */
export const MAX_PAGE_SIZE = 499;

function assertPageSize(take: number): void {
  if (!Number.isInteger(take) || take < 1 || take > MAX_PAGE_SIZE) {
    throw new TypeError(
      `billwerk page size must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${String(take)}`,
    );
  }
}

/**
 * Up to `take` items that come after the item `from` (or the first page without `from`).
 *
 * billwerk's `from` appears to include the cursor item itself, so we ask for one extra and drop it when
 * it comes back first. If the cursor turns out to be exclusive (or that item has gone), nothing is
 * dropped and the extra item is cut off instead, to be fetched again as the next page's cursor.
 */
export async function fetchPageAfter<T extends { Id: string }>(
  source: RawPageSource<T>,
  page: { take: number; from?: BillwerkId },
): Promise<T[]> {
  assertPageSize(page.take);
  // Sliced in both cases, in case a server ignores `take`.
  if (page.from === undefined) return (await source({ take: page.take })).slice(0, page.take);
  const raw = await source({ take: page.take + 1, from: page.from });
  const rest = raw[0]?.Id === page.from ? raw.slice(1) : raw;
  return rest.slice(0, page.take);
}

/**
 * Yields every page lazily, the next one fetched only when the consumer asks. A page shorter than
 * requested ends the walk [inferred: billwerk sends no total and no next link].
 */
export async function* walkPages<T extends { Id: string }>(
  source: RawPageSource<T>,
  pageSize: number = DEFAULT_PAGE_SIZE,
): AsyncGenerator<T[]> {
  assertPageSize(pageSize);
  const cursorsSeen = new Set<string>();
  let from: BillwerkId | undefined;
  for (;;) {
    const items = await fetchPageAfter(source, { take: pageSize, from });
    if (items.length > 0) yield items;
    if (items.length < pageSize) return;
    const last = items[items.length - 1]!.Id;
    // A server that ignores `from` would otherwise send the same pages forever.
    if (cursorsSeen.has(last)) {
      throw new Error(`billwerk paging made no progress: cursor ${last} came back twice`);
    }
    cursorsSeen.add(last);
    from = answeredId(last, 'Id');
  }
}
