// fast-check arbitraries for webhook bodies: arbitrary JSON with the shapes that broke, or could break,
// the parser mixed in (deep nesting, long strings, odd ids, unicode, NUL).
import fc from 'fast-check';

export const ID_FIELDS = ['EntityId', 'ContractId', 'CustomerId', 'ContractChangeId', 'InvoiceId', 'OrderId'];
export const KNOWN = [
  'ContractChanged',
  'contractcreated',
  'CustomerChanged',
  'InvoiceCreated',
  'OrderSucceeded',
];

/** A value of `levels` nested arrays and objects (a body holding it nests `levels` + 1 deep). */
export function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i += 1) value = i % 2 ? [value] : { v: value };
  return value;
}

/** A value as the route receives it: parsed from JSON text. */
export const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

export const hex24 = fc.stringMatching(/^[0-9a-f]{24}$/);

export const oddId = fc.oneof(
  hex24,
  hex24.map((id) => id.toUpperCase()),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.stringMatching(/^[\w-]{1,64}$/),
  fc.constantFrom('', '\u0000'.repeat(24), '../../contracts', `${'a'.repeat(23)}\u0000`, 'ａ'.repeat(24)),
  fc.integer(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

export const eventName = fc.oneof(
  fc.constantFrom(...KNOWN),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.constantFrom('', ' ', 'X\u0000', 'Ünïcødé😀', 'a'.repeat(101)),
);

export interface BodyParts {
  Event?: string;
  ids?: Record<string, unknown>;
  extra: Record<string, unknown>;
}

/** A notice-like object: an Event, some id fields, and arbitrary extra JSON (deep, long, unicode). */
export const noticeBody = (maxString = 20_000): fc.Arbitrary<BodyParts> =>
  fc.record(
    {
      Event: eventName,
      ids: fc.dictionary(fc.constantFrom(...ID_FIELDS), oddId, { maxKeys: 3 }),
      extra: fc.dictionary(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.integer({ min: 0, max: 80 }).map(nested),
          fc.nat(maxString).map((n) => 'x\u0000é😀'.repeat(n)),
        ),
        { maxKeys: 3 },
      ),
    },
    { requiredKeys: ['extra'] },
  );

/** The parts as one body, parsed from JSON text (own `__proto__` keys stay data, as in the route). */
export const asBody = (parts: BodyParts): unknown =>
  viaJson({ ...parts.extra, ...parts.ids, ...(parts.Event === undefined ? {} : { Event: parts.Event }) });
