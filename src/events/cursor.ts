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

/** The sequence number in a token of that kind, or undefined when it is not one. */
export function decodeSequence(kind: string, token: string): number | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const separator = text.indexOf(':');
  if (separator < 0 || text.slice(0, separator) !== kind) return undefined;
  const digits = text.slice(separator + 1);
  return /^\d{1,15}$/.test(digits) ? Number(digits) : undefined;
}

export const encodeEventCursor = (publishedSeq: number): string => encodeSequence('ev', publishedSeq);

export function decodeEventCursor(cursor: string): number {
  const sequence = decodeSequence('ev', cursor);
  if (sequence === undefined) throw new InvalidCursorError('`after` is not an event cursor.');
  return sequence;
}
