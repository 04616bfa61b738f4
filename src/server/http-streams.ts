// Long-lived HTTP responses that carry subscription events (Server-Sent Events and multipart HTTP): writes
// in order with backpressure, counted per transport for /metrics, a cap on each caller's open subscriptions,
// credentials that expire end the stream, and shutdown ends every stream with its transport's farewell.
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

export interface HttpStreamsOptions {
  /** Open subscriptions one caller may hold over HTTP (MAX_SUBSCRIPTIONS_PER_CONNECTION). @default 100 */
  maxPerCaller?: number;
  /** The clock credentials expire by, epoch ms. @default Date.now */
  now?: () => number;
  /** A stream's last words when the gateway ends it, by transport and reason. */
  farewell: (transport: StreamTransport, reason: EndReason) => string;
}

export interface HttpStreams {
  /** A new stream, not yet attached; `principal`'s credentials expiring ends it. */
  create(transport: StreamTransport, principal?: Principal): HttpStream;
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

/** Anonymous callers share one principal: each address is a caller of its own. */
const callerKey = (principal: Principal, address: string | undefined) =>
  principal.id === 'anonymous' ? `anonymous@${address ?? ''}` : principal.id;

export function createHttpStreams(options: HttpStreamsOptions): HttpStreams {
  const maxPerCaller = options.maxPerCaller ?? 100;
  const clock = options.now ?? Date.now;
  const attached = new Set<Stream>();
  const slots = new Map<string, number>();
  let closing = false;

  class Stream implements HttpStream {
    private response: ServerResponse | undefined;
    private held: { text: string; done: () => void }[] = [];
    private listeners: (() => void)[] = [];
    private over = false;
    private expiry: NodeJS.Timeout | undefined;

    constructor(
      readonly transport: StreamTransport,
      expiresAt: number | undefined,
    ) {
      if (expiresAt !== undefined) this.expireAt(expiresAt);
    }

    write(text: string): Promise<void> {
      if (this.over) return Promise.resolve();
      const response = this.response;
      if (!response) return new Promise((done) => this.held.push({ text, done }));
      // Node reports a write after the end as an 'error' event, which nothing here would catch.
      if (response.writableEnded || response.destroyed) return Promise.resolve();
      // An error means the connection is gone; its close ends the subscription, so the writer need not fail.
      return new Promise((done) => response.write(text, () => done()));
    }

    attach(response: ServerResponse, preamble?: string): void {
      if (this.over) {
        response.destroy();
        return;
      }
      this.response = response;
      attached.add(this);
      response.once('close', () => this.finish());
      if (preamble) response.write(preamble);
      for (const { text, done } of this.held.splice(0)) response.write(text, () => done());
      if (closing) this.end(options.farewell(this.transport, 'shutdown'));
    }

    end(last?: string): void {
      const response = this.response;
      if (!response) return this.finish();
      if (response.writableEnded) return;
      if (last) response.end(last);
      else response.end();
    }

    cut(): void {
      if (this.response) this.response.destroy();
      else this.finish();
    }

    onClose(listener: () => void): void {
      if (this.over) listener();
      else this.listeners.push(listener);
    }

    private expireAt(expiresAt: number): void {
      const delay = expiresAt - clock();
      if (delay <= 0) {
        this.end(options.farewell(this.transport, 'expired'));
        return;
      }
      this.expiry = setTimeout(() => this.expireAt(expiresAt), Math.min(delay, MAX_TIMER_MS));
      this.expiry.unref();
    }

    private finish(): void {
      if (this.over) return;
      this.over = true;
      clearTimeout(this.expiry);
      attached.delete(this);
      for (const { done } of this.held.splice(0)) done();
      for (const listener of this.listeners.splice(0)) listener();
    }
  }

  return {
    create: (transport, principal) => new Stream(transport, principal?.expiresAt),
    take(principal, address) {
      const key = callerKey(principal, address);
      const held = slots.get(key) ?? 0;
      if (held >= maxPerCaller) return undefined;
      slots.set(key, held + 1);
      let given = false;
      return () => {
        if (given) return;
        given = true;
        const left = (slots.get(key) ?? 1) - 1;
        if (left > 0) slots.set(key, left);
        else slots.delete(key);
      };
    },
    counts() {
      const counts: Record<StreamTransport, number> = { sse: 0, multipart: 0 };
      for (const stream of attached) counts[stream.transport] += 1;
      return counts;
    },
    async close() {
      closing = true;
      const open = [...attached];
      await Promise.all(
        open.map(
          (stream) =>
            new Promise<void>((resolve) => {
              stream.onClose(resolve);
              stream.end(options.farewell(stream.transport, 'shutdown'));
              // A reader that stopped reading never takes the farewell: cut it after a grace period.
              setTimeout(() => stream.cut(), END_GRACE_MS).unref();
            }),
        ),
      );
    },
  };
}
