import { fakeId } from '../helpers/ids.js';
import { fetchPageAfter, walkPages, type RawPageSource } from '../../src/billwerk/paging.js';

interface Item {
  Id: string;
}

const items = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ Id: fakeId(i) }));

/** A fake billwerk list: `from` includes (or, with inclusive=false, excludes) the cursor item. */
function fakeSource(all: Item[], inclusive = true) {
  const calls: { take: number; from?: string }[] = [];
  const source: RawPageSource<Item> = (page) => {
    calls.push(page);
    let start = 0;
    if (page.from !== undefined) {
      const at = all.findIndex((item) => item.Id === page.from);
      start = inclusive ? at : at + 1;
    }
    return Promise.resolve(all.slice(start, start + page.take));
  };
  return { source, calls };
}

async function collect(walk: AsyncGenerator<Item[]>) {
  const pages: Item[][] = [];
  for await (const page of walk) pages.push(page);
  return pages;
}

describe('walkPages over an inclusive cursor', () => {
  it('yields every item exactly once, asking for take+1 after the first page', async () => {
    const all = items(120);
    const { source, calls } = fakeSource(all);
    const pages = await collect(walkPages(source, 25));
    expect(pages.map((p) => p.length)).toEqual([25, 25, 25, 25, 20]);
    expect(pages.flat()).toEqual(all);
    expect(calls).toEqual([
      { take: 25 },
      { take: 26, from: fakeId(24) },
      { take: 26, from: fakeId(49) },
      { take: 26, from: fakeId(74) },
      { take: 26, from: fakeId(99) },
    ]);
  });

  it('ends on an exact multiple with one empty probe, yielding no empty page', async () => {
    const { source, calls } = fakeSource(items(50));
    const pages = await collect(walkPages(source, 25));
    expect(pages.map((p) => p.length)).toEqual([25, 25]);
    expect(calls).toHaveLength(3);
  });

  it('yields nothing for an empty list', async () => {
    const { source } = fakeSource([]);
    expect(await collect(walkPages(source, 10))).toEqual([]);
  });

  it('is lazy: the next page is fetched only when asked for', async () => {
    const { source, calls } = fakeSource(items(100));
    const walk = walkPages(source, 10);
    await walk.next();
    expect(calls).toHaveLength(1);
    await walk.next();
    expect(calls).toHaveLength(2);
    await walk.return(undefined);
    expect(calls).toHaveLength(2);
  });
});

describe('walkPages over an exclusive cursor', () => {
  it('still yields every item exactly once', async () => {
    const all = items(57);
    const { source } = fakeSource(all, false);
    const pages = await collect(walkPages(source, 10));
    expect(pages.flat()).toEqual(all);
    expect(pages.every((p) => p.length <= 10)).toBe(true);
  });
});

describe('walkPages guards', () => {
  it('fails loudly when the server ignores the cursor', async () => {
    const stuck: RawPageSource<Item> = () => Promise.resolve(items(10));
    await expect(collect(walkPages(stuck, 10))).rejects.toThrow(/no progress/);
  });

  it('states the contract for a bad page size', async () => {
    const { source } = fakeSource(items(3));
    await expect(collect(walkPages(source, 0))).rejects.toThrow(/integer from 1 to 499, got 0/);
    await expect(collect(walkPages(source, 500))).rejects.toThrow(/got 500/);
  });
});

describe('fetchPageAfter', () => {
  it('returns the items after the cursor, the cursor item dropped', async () => {
    const { source, calls } = fakeSource(items(30));
    const page = await fetchPageAfter(source, { take: 5, from: fakeId(9) });
    expect(page.map((i) => i.Id)).toEqual([fakeId(10), fakeId(11), fakeId(12), fakeId(13), fakeId(14)]);
    expect(calls).toEqual([{ take: 6, from: fakeId(9) }]);
  });

  it('cuts the extra item when the cursor was exclusive', async () => {
    const { source } = fakeSource(items(30), false);
    const page = await fetchPageAfter(source, { take: 5, from: fakeId(9) });
    expect(page.map((i) => i.Id)).toEqual([fakeId(10), fakeId(11), fakeId(12), fakeId(13), fakeId(14)]);
  });

  it('asks for exactly take without a cursor', async () => {
    const { source, calls } = fakeSource(items(30));
    expect(await fetchPageAfter(source, { take: 7 })).toHaveLength(7);
    expect(calls).toEqual([{ take: 7 }]);
  });
});
