// Long-lived HTTP responses that carry subscription events (Server-Sent Events and multipart HTTP): writes
// in order with backpressure, counted per transport for /metrics, a cap on each caller's open subscriptions,
// credentials that expire end the stream, and shutdown ends every stream with its transport's farewell.
// A resumable stream outlives its connection: it numbers its messages and keeps the last ones written, so a
// client that reconnects with the last id it received gets exactly what it missed.
import { type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { type FastifyReply } from 'fastify';
import { type Principal } from '../auth/principal.js';

export type StreamTransport = 'sse' | 'multipart';

/** Why a stream is ended by the gateway rather than by its client. */
export type EndReason = 'shutdown' | 'expired';

export interface HttpStream {
  readonly transport: StreamTransport;
  /**
   * Writes after everything written before and resolves once the socket took it (or the stream is gone),
   * so a writer that waits holds its subscriber back and the hub sees a stalled reader fall behind.
   * Written before `attach` is held until then.
   */
  write(text: string): Promise<void>;
  /** Starts writing to the response, whose head has been sent: `preamble` first, then what was held. */
  attach(response: ServerResponse, preamble?: string): void;
  /** Ends the response after its last writes (and `last`, if given). */
  end(last?: string): void;
  /** Drops the connection now: a reader that stopped reading cannot be sent a goodbye. */
  cut(): void;
  /** Runs once when the stream is over, however it ended (never attached streams included). */
  onClose(listener: () => void): void;
}

/**
 * An SSE stream whose connection may drop and be taken up again. Each message (comments aside) is sent with
 * an `id:` of its own, a number counting up from 1, and kept once written; while no connection is attached,
 * writes wait (the writers' own bounded buffers fill up behind them). Ending or cutting it ends it for good.
 */
export interface ResumableStream extends HttpStream {
  /**
   * Where a client that last received `lastEventId` (none: nothing yet) resumes, or undefined when this
   * stream cannot give it exactly what it missed: the id names no message sent here, or messages after it
   * are no longer kept.
   */
  resumePoint(lastEventId: string | undefined): number | undefined;
  /**
   * Takes the stream up on `response` (whose head has been sent), dropping a connection still attached:
   * `preamble`, the messages sent after `point` again, then what was held.
   */
  resume(response: ServerResponse, point: number, preamble?: string): void;
  /** Runs each time the stream's connection drops while the stream goes on. */
  onDetach(listener: () => void): void;
}

export interface HttpStreamsOptions {
  /** Open subscriptions one caller may hold over HTTP (MAX_SUBSCRIPTIONS_PER_CONNECTION). @default 100 */
  maxPerCaller?: number;
  /** The clock credentials expire by, epoch ms. @default Date.now */
  now?: () => number;
  /** A stream's last words when the gateway ends it, by transport and reason. */
  farewell: (transport: StreamTransport, reason: EndReason) => string;
  /**
   * Characters of messages already written that a resumable stream keeps for a client that reconnects
   * (the newest message is always kept). @default 262144
   */
  keptChars?: number;
}

export interface HttpStreams {
  /** A new stream, not yet attached; `principal`'s credentials expiring ends it. */
  create(transport: StreamTransport, principal?: Principal): HttpStream;
  /** A new SSE stream that a client may resume on another connection (see ResumableStream). */
  createResumable(principal: Principal): ResumableStream;
  /**
   * Takes one of the caller's subscription slots, or returns undefined when it holds `maxPerCaller`
   * already. The function returned gives the slot back (once, however often it is called).
   */
  take(principal: Principal, address: string | undefined): (() => void) | undefined;
  /** Streams attached now, per transport (the /metrics gauge beside WebSocket connections). */
  counts(): Record<StreamTransport, number>;
  /** Ends every stream with its shutdown farewell; resolves once all are closed. */
  close(): Promise<void>;
}

/**
 * The head of a response written by hand (`reply.hijack()`): the headers hooks set on the reply (security
 * headers, request id) with the transport's own over them.
 */
export function streamHead(reply: FastifyReply, own: Record<string, string> = {}): OutgoingHttpHeaders {
  const head: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) head[name] = typeof value === 'number' ? String(value) : value;
  }
  return { ...head, ...own };
}

/** setTimeout's longest delay (about 24.8 days); later expiries are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long a stream ended at shutdown may take to flush its farewell before it is cut. */
const END_GRACE_MS = 2_000;

/** Messages a resumable stream has sent, numbered from 1, the newest last (what is kept of them). */
interface Kept {
  /** The id of the newest message sent. */
  sent: number;
  messages: { id: number; text: string }[];
  chars: number;
}

/** A message id as a client sends it back (`Last-Event-ID`): only the exact text the stream wrote. */
const MESSAGE_ID = /^(?:0|[1-9]\d{0,14})$/;

/** Anonymous callers share one principal: each address is a caller of its own. */
const callerKey = (principal: Principal, address: string | undefined) =>
  principal.id === 'anonymous' ? `anonymous@${address ?? ''}` : principal.id;

/** What the streams of one `createHttpStreams` share: the sets shutdown walks, and their options. */
interface Shared {
  readonly attached: Set<Stream>;
  /** Resumable streams whose connection dropped: shutdown ends them too. */
  readonly detached: Set<Stream>;
  closing: boolean;
  readonly keptChars: number;
  readonly clock: () => number;
  readonly farewell: HttpStreamsOptions['farewell'];
}

export function createHttpStreams(options: HttpStreamsOptions): HttpStreams {
  const maxPerCaller = options.maxPerCaller ?? 100;
  const shared: Shared = {
    attached: new Set(),
    detached: new Set(),
    closing: false,
    keptChars: options.keptChars ?? 262_144,
    clock: options.now ?? Date.now,
    farewell: options.farewell,
  };
  const slots = new Map<string, number>();
  return {
    create: (transport, principal) => new Stream(shared, transport, principal?.expiresAt),
    createResumable: (principal) =>
      new Stream(shared, 'sse', principal.expiresAt, { sent: 0, messages: [], chars: 0 }),
    take: (principal, address) => takeSlot(slots, callerKey(principal, address), maxPerCaller),
    counts() {
      const counts: Record<StreamTransport, number> = { sse: 0, multipart: 0 };
      for (const stream of shared.attached) counts[stream.transport] += 1;
      return counts;
    },
    close: () => closeAll(shared),
  };
}

/** One of `key`'s slots, or undefined when it holds `max`; the function returned gives it back once. */
function takeSlot(slots: Map<string, number>, key: string, max: number): (() => void) | undefined {
  const held = slots.get(key) ?? 0;
  if (held >= max) return undefined;
  slots.set(key, held + 1);
  let given = false;
  return () => {
    if (given) return;
    given = true;
    const left = (slots.get(key) ?? 1) - 1;
    if (left > 0) slots.set(key, left);
    else slots.delete(key);
  };
}

/** Shutdown: every stream ends with its farewell; resolves once all are closed. */
async function closeAll(shared: Shared): Promise<void> {
  shared.closing = true;
  // Nobody is connected to these to be told: they just end.
  for (const stream of [...shared.detached]) stream.end();
  const open = [...shared.attached];
  await Promise.all(
    open.map(
      (stream) =>
        new Promise<void>((resolve) => {
          stream.onClose(resolve);
          stream.end(shared.farewell(stream.transport, 'shutdown'));
          // A reader that stopped reading never takes the farewell: cut it after a grace period.
          setTimeout(() => stream.cut(), END_GRACE_MS).unref();
        }),
    ),
  );
}

/**
 * One stream (see HttpStream and ResumableStream): its connection, the writes held until one is attached,
 * what a resumable stream keeps, and its credentials' expiry.
 */
class Stream implements ResumableStream {
  private response: ServerResponse | undefined;
  private held: { text: string; done: () => void }[] = [];
  private listeners: (() => void)[] = [];
  private detachListeners: (() => void)[] = [];
  private over = false;
  /** The gateway ended or cut it: its connection closing is the stream's end, not a drop. */
  private ending = false;
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    private readonly shared: Shared,
    readonly transport: StreamTransport,
    expiresAt: number | undefined,
    private readonly kept?: Kept,
  ) {
    if (expiresAt !== undefined) this.expireAt(expiresAt);
  }

  write(text: string): Promise<void> {
    if (this.over) return Promise.resolve();
    const response = this.response;
    // A resumable stream's connection may be destroyed before its close is reported: hold on for the next.
    if (!response || (this.kept && response.destroyed)) {
      return new Promise((done) => this.held.push({ text, done }));
    }
    // Node reports a write after the end as an 'error' event, which nothing here would catch.
    if (response.writableEnded || response.destroyed) return Promise.resolve();
    // An error means the connection is gone; its close ends the subscription, so the writer need not fail.
    return new Promise((done) => this.send(response, text, done));
  }

  attach(response: ServerResponse, preamble?: string): void {
    this.connect(response, preamble ? [preamble] : []);
  }

  resumePoint(lastEventId: string | undefined): number | undefined {
    const kept = this.kept;
    if (this.over || !kept) return undefined;
    if (lastEventId !== undefined && !MESSAGE_ID.test(lastEventId)) return undefined;
    const point = lastEventId === undefined ? 0 : Number(lastEventId);
    if (point > kept.sent) return undefined;
    const oldest = kept.messages[0]?.id ?? kept.sent + 1;
    return point + 1 >= oldest ? point : undefined;
  }

  resume(response: ServerResponse, point: number, preamble?: string): void {
    const previous = this.response;
    // A connection the client gave up on, whose close has not reached the server yet.
    if (previous) {
      this.response = undefined;
      this.shared.attached.delete(this);
      previous.destroy();
    }
    const again = (this.kept?.messages ?? []).filter((m) => m.id > point).map((m) => m.text);
    this.connect(response, preamble ? [preamble, ...again] : again);
  }

  end(last?: string): void {
    this.ending = true;
    const response = this.response;
    if (!response) return this.finish();
    if (response.writableEnded) return;
    if (last) response.end(last);
    else response.end();
  }

  cut(): void {
    this.ending = true;
    if (this.response) this.response.destroy();
    else this.finish();
  }

  onClose(listener: () => void): void {
    if (this.over) listener();
    else this.listeners.push(listener);
  }

  onDetach(listener: () => void): void {
    this.detachListeners.push(listener);
  }

  private connect(response: ServerResponse, first: readonly string[]): void {
    if (this.over) {
      response.destroy();
      return;
    }
    this.response = response;
    this.shared.detached.delete(this);
    this.shared.attached.add(this);
    response.once('close', () => {
      if (this.response === response) this.dropped();
    });
    for (const text of first) response.write(text);
    for (const { text, done } of this.held.splice(0)) this.send(response, text, done);
    if (this.shared.closing) this.end(this.shared.farewell(this.transport, 'shutdown'));
  }

  /** Writes `text`; a resumable stream numbers it (comments aside) and keeps it for a resume. */
  private send(response: ServerResponse, text: string, done: () => void): void {
    const kept = this.kept;
    if (kept && !text.startsWith(':')) {
      kept.sent += 1;
      text = `id: ${kept.sent}\n${text}`;
      kept.messages.push({ id: kept.sent, text });
      kept.chars += text.length;
      while (kept.chars > this.shared.keptChars && kept.messages.length > 1)
        kept.chars -= kept.messages.shift()!.text.length;
    }
    response.write(text, () => done());
  }

  private dropped(): void {
    this.response = undefined;
    this.shared.attached.delete(this);
    if (!this.kept || this.ending || this.shared.closing) return this.finish();
    this.shared.detached.add(this);
    for (const listener of this.detachListeners) listener();
  }

  private expireAt(expiresAt: number): void {
    const delay = expiresAt - this.shared.clock();
    if (delay <= 0) {
      this.end(this.shared.farewell(this.transport, 'expired'));
      return;
    }
    this.expiry = setTimeout(() => this.expireAt(expiresAt), Math.min(delay, MAX_TIMER_MS));
    this.expiry.unref();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.expiry);
    this.shared.attached.delete(this);
    this.shared.detached.delete(this);
    for (const { done } of this.held.splice(0)) done();
    for (const listener of this.listeners.splice(0)) listener();
  }
}
