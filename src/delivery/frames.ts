// graphql-ws's `next` frames, the last hop of delivery: the bytes `emit.next` would send, built around the
// payload the fan-out serialised once for a whole group of subscriptions, one frame per socket.
import { MessageType } from 'graphql-ws';
import { type Extra } from 'graphql-ws/use/ws';
import { type Writer } from './fanout.js';

/** Payloads from this size on are sent as two fragments (id, shared tail) rather than copied per socket. */
const FRAGMENT_BYTES = 64 * 1024;
const TEXT = { binary: false } as const;
const FIRST_FRAGMENT = { binary: false, fin: false } as const;

/**
 * The part of a `next` frame every subscriber of a group shares for one event (all but the id), as
 * UTF-8 bytes, encoded once: a group's members are written one after the other, so the last tail
 * built is the one the next write asks for (the same string, compared by reference first).
 */
export function createTails(): (json: string) => Buffer {
  let last: string | undefined;
  let tail = Buffer.alloc(0);
  return (json) => {
    if (json !== last) {
      tail = Buffer.from(`,"type":"${MessageType.Next}","payload":${json}}`);
      last = json;
    }
    return tail;
  };
}

/**
 * Writes `next` frames of one subscription, the bytes graphql-ws's `emit.next` would send
 * (`{"id","type","payload"}`), around a payload serialised once for its whole group: the frame is the
 * subscription's id and the group's shared tail, copied into one buffer and sent as one text frame (large
 * payloads go as two fragments, nothing copied). A write queues the frame and returns: the group writes
 * all its members in one pass. A socket with more than `maxBuffered` frames' worth of bytes still unsent
 * is a slow consumer (`onSlow`, which closes it with 1013) rather than a growing buffer. A class, not a
 * closure: its method is shared by every subscription.
 */
export class NextWriter implements Writer {
  readonly queues = true;
  /** Only the quoted id is kept: a frame head built ahead would be held by every idle subscription. */
  private readonly head: string;
  constructor(
    private readonly socket: Extra['socket'],
    id: string,
    private readonly tails: (json: string) => Buffer,
    private readonly maxBuffered: number,
    private readonly onSlow: () => void,
  ) {
    this.head = `{"id":${JSON.stringify(id)}`;
  }

  write(json: string): void {
    const { socket, head } = this;
    if (socket.readyState !== socket.OPEN) return;
    const tail = this.tails(json);
    const headBytes = Buffer.byteLength(head);
    if (socket.bufferedAmount > this.maxBuffered * (headBytes + tail.length)) return this.onSlow();
    if (tail.length >= FRAGMENT_BYTES) {
      socket.send(head, FIRST_FRAGMENT);
      socket.send(tail, TEXT);
      return;
    }
    const frame = Buffer.allocUnsafe(headBytes + tail.length);
    frame.write(head, 0);
    tail.copy(frame, headBytes);
    socket.send(frame, TEXT);
  }
}
