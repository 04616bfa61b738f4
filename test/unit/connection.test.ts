import {
  connectionPage,
  decodeCursor,
  encodeCursor,
  type ConnectionShape,
  type PageSource,
} from '../../src/graphql/connection.js';

type Item = { Id: string; even: boolean };
const items: Item[] = Array.from({ length: 25 }, (_, i) => ({
  Id: `id${String(i).padStart(2, '0')}`,
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
    expect(page.edges.map((e) => e.node)).toEqual(['id00', 'id02', 'id04', 'id06', 'id08']);
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
    expect(decodeCursor(encodeCursor('abc'))).toBe('abc');
  });
});
