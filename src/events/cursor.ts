// Subscription cursors: opaque to clients, they encode an event's publication sequence.
export class InvalidCursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCursorError';
  }
}

/** An opaque token for a sequence number of a kind (`ev` publication, `log` receipt): base64url of `kind:n`. */
export function encodeSequence(kind: string, sequence: number): string {
  return Buffer.from(`${kind}:${sequence}`, 'utf8').toString('base64url');
}

/** Longest token `encodeSequence` makes for a short kind: base64url of `kind:` and 15 digits. */
const MAX_TOKEN_LENGTH = 32;

/**
 * The sequence number in a token of that kind, or undefined when it is not one. A token is an outside
 * value (clients send it back), so only the exact text `encodeSequence` makes is accepted: Node's base64
 * decoder skips characters it does not know and accepts padding, and `ev:07` would name 7 as well, so many
 * strings could name one position.
 */
export function decodeSequence(kind: string, token: string): number | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const separator = text.indexOf(':');
  if (separator < 0 || text.slice(0, separator) !== kind) return undefined;
  const digits = text.slice(separator + 1);
  if (!/^\d{1,15}$/.test(digits)) return undefined;
  const sequence = Number(digits);
  return encodeSequence(kind, sequence) === token ? sequence : undefined;
}

export const encodeEventCursor = (publishedSeq: number): string => encodeSequence('ev', publishedSeq);

export function decodeEventCursor(cursor: string): number {
  const sequence = decodeSequence('ev', cursor);
  if (sequence === undefined) throw new InvalidCursorError('`after` is not an event cursor.');
  return sequence;
}
