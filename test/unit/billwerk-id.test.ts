// The one parser of billwerk ids, and the route tag that alone builds REST paths from them.
import fc from 'fast-check';
import { parseBillwerkId } from '../../src/billwerk/id.js';
import { api } from '../../src/billwerk/route.js';
import { bid } from '../helpers/ids.js';

describe('parseBillwerkId', () => {
  it('accepts exactly 24 hex characters, lower-cased', () => {
    expect(parseBillwerkId('645b429bb73d36f442b223df')).toBe('645b429bb73d36f442b223df');
    expect(parseBillwerkId('645B429BB73D36F442B223DF')).toBe('645b429bb73d36f442b223df');
    for (const bad of [
      '',
      '..',
      '.',
      '%2e%2e',
      '645b429bb73d36f442b223d',
      '645b429bb73d36f442b223dff',
      42,
      null,
    ]) {
      expect(parseBillwerkId(bad)).toBeUndefined();
    }
  });

  it('never lets a string through that could be more than one path segment', () => {
    const anything = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 64 }),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.constantFrom('..', '.', '%2e%2e', '%2E.', '/', '\\', '\u0000', '?', '#'),
      fc.string({ maxLength: 10_000, size: 'max' }),
    );
    fc.assert(
      fc.property(anything, (value) => {
        const id = parseBillwerkId(value);
        if (id !== undefined) expect(id).toMatch(/^[0-9a-f]{24}$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every ObjectId', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F]{24}$/), (value) => {
        expect(parseBillwerkId(value)).toBe(value.toLowerCase());
      }),
    );
  });
});

describe('api routes', () => {
  it('fill ids into the path and keep the template for labels', () => {
    const id = bid('645b429bb73d36f442b223df');
    const route = api`/contracts/${id}/usage/${id}`;
    expect(route.path).toBe('/contracts/645b429bb73d36f442b223df/usage/645b429bb73d36f442b223df');
    expect(route.template).toBe('/contracts/{id}/usage/{id}');
  });
});
