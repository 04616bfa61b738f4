// Cursors and log ids are outside values (clients send them back): only the exact token the gateway
// made names a position.
import fc from 'fast-check';
import {
  decodeEventCursor,
  decodeSequence,
  encodeEventCursor,
  encodeSequence,
  InvalidCursorError,
} from '../../src/events/cursor.js';

describe('sequence tokens', () => {
  it('decode what they encode', () => {
    fc.assert(
      fc.property(fc.constantFrom('ev', 'log'), fc.nat(), (kind, n) => {
        expect(decodeSequence(kind, encodeSequence(kind, n))).toBe(n);
      }),
    );
    expect(decodeEventCursor(encodeEventCursor(42))).toBe(42);
  });

  it.each([
    ['padding', `${encodeSequence('ev', 5)}==`],
    [
      'characters base64 does not know',
      `${encodeSequence('ev', 5).slice(0, 2)}!${encodeSequence('ev', 5).slice(2)}`,
    ],
    ['a leading zero', Buffer.from('ev:05').toString('base64url')],
    ['another kind', encodeSequence('log', 5)],
    ['a sign', Buffer.from('ev:-5').toString('base64url')],
    ['sixteen digits', Buffer.from(`ev:${'9'.repeat(16)}`).toString('base64url')],
    ['a megabyte', 'A'.repeat(1 << 20)],
    ['nothing', ''],
  ])('refuse %s', (_name, token) => {
    expect(decodeSequence('ev', token)).toBeUndefined();
    expect(() => decodeEventCursor(token)).toThrow(InvalidCursorError);
  });

  it('are refused unless they are exactly a token the gateway made', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (token) => {
        const n = decodeSequence('ev', token);
        if (n !== undefined) expect(encodeSequence('ev', n)).toBe(token);
      }),
      { numRuns: 2000 },
    );
  });
});
