// Subscription cursors: opaque to clients, they encode an event's publication sequence.
export class InvalidCursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCursorError';
  }
}

export function encodeEventCursor(publishedSeq: number): string {
  return Buffer.from(`ev:${publishedSeq}`, 'utf8').toString('base64url');
}

export function decodeEventCursor(cursor: string): number {
  const match = /^ev:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidCursorError('`after` is not an event cursor.');
  return Number(match[1]);
}
