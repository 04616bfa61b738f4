// Relay connections over billwerk's `take`/`from` paging: a cursor is an item's billwerk id (opaque to
// clients), so `after` becomes billwerk's stable `from` cursor and pages never shift under writes.
import { type ClassType, Field, ObjectType } from 'type-graphql';
import { answeredId, parseBillwerkId, type BillwerkId } from '../../billwerk/id.js';
import { type PageSource } from '../../loaders/pages.js';
import { ErrorCode, GatewayError } from '../errors.js';

@ObjectType({ description: 'Where a page of a connection sits in the whole list.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether items follow the last edge.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, {
    description: 'Whether items precede the first edge (true on any page after the first).',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface ConnectionShape<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalFetched?: number;
}

/** Declares `<Name>Edge` and an abstract `<Name>Connection` base for `itemType`. */
export function ConnectionOf<T extends object>(itemType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { description: `An edge of a ${name} connection.` })
  class EdgeType {
    @Field(() => String, { description: 'Opaque cursor of this edge; pass as `after` to continue after it.' })
    cursor!: string;

    @Field(() => itemType, { description: `The ${name}.` })
    node!: T;
  }

  @ObjectType()
  abstract class ConnectionType {
    @Field(() => [EdgeType], { description: 'The items of this page with their cursors.' })
    edges!: EdgeType[];

    @Field(() => PageInfo, { description: 'Paging information.' })
    pageInfo!: PageInfo;
  }
  return ConnectionType;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** A filtered walk (e.g. contracts by status) reads at most this many billwerk pages per GraphQL page. */
const MAX_SCANNED_PAGES = 10;

export function encodeCursor(billwerkId: string): string {
  return Buffer.from(`bw:${billwerkId}`, 'utf8').toString('base64url');
}

/** The billwerk id a cursor names; anything else is refused before it can reach billwerk as `from`. */
export function decodeCursor(cursor: string): BillwerkId {
  const decoded = cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = decoded.startsWith('bw:') ? parseBillwerkId(decoded.slice(3)) : undefined;
  if (id === undefined) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, '`after` is not a cursor of this connection.', {
      argument: 'after',
    });
  }
  return id;
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** `first` of a page: absent is the default size; anything but 1 to MAX_PAGE_SIZE is refused. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `first must be between 1 and ${MAX_PAGE_SIZE}.`, {
      argument: 'first',
    });
  }
  return first;
}

/**
 * Reads one connection page. One billwerk call of `first + 1` items answers both the page and whether
 * another follows; with a `keep` filter, further pages are read until the page is full (bounded).
 */
export async function connectionPage<D extends { Id: string }, T>(
  source: PageSource<D>,
  args: PageArgs,
  toNode: (dto: D) => T,
  keep?: (dto: D) => boolean | Promise<boolean>,
): Promise<ConnectionShape<T>> {
  const first = pageSize(args.first);
  const after = args.after === undefined || args.after === null ? undefined : decodeCursor(args.after);
  const kept: D[] = [];
  let from = after;
  let exhausted = false;
  let scanned = 0;
  const take = keep ? Math.max(first + 1, 50) : first + 1;
  while (kept.length <= first && !exhausted && scanned < MAX_SCANNED_PAGES) {
    const page = await source(take, from);
    scanned += 1;
    exhausted = page.length < take;
    // Checked together, so checks that load (a partner's external-id rule) batch in one loader tick.
    const flags = keep ? await Promise.all(page.map(async (item) => keep(item))) : undefined;
    for (const [index, item] of page.entries()) {
      if (!flags || flags[index]) kept.push(item);
      if (kept.length > first) break;
    }
    const last = page.at(-1);
    if (last) from = answeredId(last.Id, 'Id');
  }
  const items = kept.slice(0, first);
  const edges = items.map((item) => ({ cursor: encodeCursor(item.Id), node: toNode(item) }));
  const hasNextPage = kept.length > first || (!exhausted && scanned >= MAX_SCANNED_PAGES);
  const pageInfo = Object.assign(new PageInfo(), {
    hasNextPage,
    hasPreviousPage: after !== undefined,
    startCursor: edges[0]?.cursor ?? null,
    // When a filtered walk stopped early, continue from where it stopped rather than rescan.
    endCursor:
      kept.length <= first && hasNextPage && from !== undefined
        ? encodeCursor(from)
        : (edges.at(-1)?.cursor ?? null),
  });
  return { edges, pageInfo };
}
