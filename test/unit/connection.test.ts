import fc from 'fast-check';
import {
  connectionPage,
  decodeCursor,
  encodeCursor,
  type ConnectionShape,
} from '../../src/graphql/relay/connection.js';
import { type PageSource } from '../../src/loaders/pages.js';
import { fakeId } from '../helpers/ids.js';

type Item = { Id: string; even: boolean };
const items: Item[] = Array.from({ length: 25 }, (_, i) => ({
  Id: fakeId(i),
  even: i % 2 === 0,
}));

/** billwerk-like paging: `take` items after `from` (exclusive), recording each call. */
function source(calls: { take: number; from?: string }[]): PageSource<Item> {
  return (take, from) => {
    calls.push({ take, from });
    const start = from === undefined ? 0 : items.findIndex((item) => item.Id === from) + 1;
    return Promise.resolve(items.slice(start, start + take));
  };
}

describe('connectionPage', () => {
  it('answers a page and whether another follows with one call of first + 1', async () => {
    const calls: { take: number; from?: string }[] = [];
    const page = await connectionPage(source(calls), { first: 10 }, (item) => item.Id);
    expect(page.edges.map((e) => e.node)).toEqual(items.slice(0, 10).map((i) => i.Id));
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(calls).toEqual([{ take: 11, from: undefined }]);
  });

  it('walks every item exactly once by following endCursor', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: ConnectionShape<string> = await connectionPage(
        source([]),
        { first: 7, after },
        (item) => item.Id,
      );
      seen.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(items.map((i) => i.Id));
  });

  it('fills a filtered page from several billwerk pages', async () => {
    const page = await connectionPage(
      source([]),
      { first: 5 },
      (item) => item.Id,
      (item) => item.even,
    );
    expect(page.edges.map((e) => e.node)).toEqual([0, 2, 4, 6, 8].map(fakeId));
    expect(page.pageInfo.hasNextPage).toBe(true);
  });

  it('refuses a page size out of range and a foreign cursor', async () => {
    await expect(connectionPage(source([]), { first: 0 }, (i) => i)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    await expect(connectionPage(source([]), { first: 101 }, (i) => i)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(() => decodeCursor('not-a-cursor')).toThrow(/cursor/);
    expect(decodeCursor(encodeCursor(fakeId(7)))).toBe(fakeId(7));
  });

  it('takes from a cursor nothing but a billwerk id', () => {
    // A cursor is a client's string: whatever it encodes, only an ObjectId may come out as billwerk's `from`.
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (inner) => {
        let decoded: string | undefined;
        try {
          decoded = decodeCursor(encodeCursor(inner));
        } catch (error) {
          expect(error).toMatchObject({ code: 'BAD_USER_INPUT' });
        }
        if (decoded !== undefined) expect(decoded).toMatch(/^[0-9a-f]{24}$/);
      }),
    );
    for (const hostile of ['..', '.', '%2e%2e', '../contracts', `${fakeId(1)}/..`]) {
      expect(() => decodeCursor(encodeCursor(hostile))).toThrow(/cursor/);
    }
  });
});
