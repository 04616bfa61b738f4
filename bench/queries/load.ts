// Load generators over an undici Pool. The open model starts requests on a fixed schedule whatever the
// server does and times each from its scheduled start, so a slow server cannot slow the clock that
// measures it (no coordinated omission). The closed model keeps N requests in flight, to saturate.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface HttpTarget {
  /** e.g. http://127.0.0.1:4000 */
  origin: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Path and body of a phase's i-th request, so that requests can differ (e.g. by page). */
  request(i: number): { path: string; body?: string };
  /** Whether an answer counts as a success (e.g. 200 and no GraphQL errors). */
  ok(status: number, body: string): boolean;
}

/** What a phase measured between the end of its warm-up and its end. */
export interface PhaseResult<S> {
  /** Length of the measured window, ms. */
  windowMs: number;
  /** Latency of each successful request started in the window, ms, in completion order. */
  latencies: number[];
  /** Requests started in the window that failed or timed out. */
  errors: number;
  /** Successful completions inside the window. */
  completedInWindow: number;
  /** Most requests in flight at once. */
  maxInFlight: number;
  /** Requests sent in the whole phase, warm-up included. */
  requestsSent: number;
  /** What `sample` returned at the window's start and end (e.g. server CPU time). */
  samples: { start: S; end: S };
}

export interface PhaseOptions<S> {
  warmupMs: number;
  durationMs: number;
  /** Called when the window opens and closes (e.g. to read the server's CPU time). */
  sample: () => Promise<S>;
  /** Per-request deadline. @default 10000 */
  timeoutMs?: number;
}

/** The shared bookkeeping of both models. */
function recorder<S>(target: HttpTarget, options: PhaseOptions<S>, connections: number) {
  const pool = new Pool(target.origin, { connections, pipelining: 1 });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const latencies: number[] = [];
  let errors = 0;
  let completedInWindow = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let requestsSent = 0;
  const t0 = performance.now();
  const windowStart = t0 + options.warmupMs;
  const windowEnd = windowStart + options.durationMs;

  /** Sends one request; `startedAt` is when it was due (open model) or sent (closed model). */
  async function send(startedAt: number): Promise<void> {
    const { path, body } = target.request(requestsSent);
    inFlight += 1;
    requestsSent += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let ok = false;
    try {
      const res = await pool.request({
        method: target.method,
        path,
        headers: target.headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      ok = target.ok(res.statusCode, await res.body.text());
    } catch {
      ok = false;
    } finally {
      inFlight -= 1;
    }
    const doneAt = performance.now();
    if (ok && doneAt >= windowStart && doneAt < windowEnd) completedInWindow += 1;
    if (startedAt < windowStart || startedAt >= windowEnd) return;
    if (ok) latencies.push(doneAt - startedAt);
    else errors += 1;
  }

  /** Samples at the window's edges, on timers, while the load runs. */
  const samples = {
    start: new Promise<S>((resolve, reject) =>
      setTimeout(() => void options.sample().then(resolve, reject), windowStart - performance.now()),
    ),
    end: new Promise<S>((resolve, reject) =>
      setTimeout(() => void options.sample().then(resolve, reject), windowEnd - performance.now()),
    ),
  };

  async function finish(pending: Iterable<Promise<void>>): Promise<PhaseResult<S>> {
    const [start, end] = await Promise.all([samples.start, samples.end]);
    await Promise.all(pending);
    await pool.close();
    return {
      windowMs: options.durationMs,
      latencies,
      errors,
      completedInWindow,
      maxInFlight,
      requestsSent,
      samples: { start, end },
    };
  }

  return { t0, windowEnd, send, finish };
}

/**
 * Open model: request i is due at t0 + i / rate. A late timer fires every request that fell due in one
 * go, and each is still timed from when it was due.
 */
export async function openLoad<S>(
  target: HttpTarget,
  options: PhaseOptions<S> & { ratePerSecond: number },
): Promise<PhaseResult<S>> {
  const interval = 1000 / options.ratePerSecond;
  // Enough sockets that requests never wait for one while the server keeps up.
  const r = recorder(target, options, 256);
  const pending = new Set<Promise<void>>();
  let i = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      for (let due = r.t0 + i * interval; due <= now && due < r.windowEnd; due = r.t0 + ++i * interval) {
        const request = r.send(due).finally(() => pending.delete(request));
        pending.add(request);
      }
      const next = r.t0 + i * interval;
      if (next >= r.windowEnd) done();
      else setTimeout(tick, Math.max(0, next - performance.now()));
    };
    tick();
  });
  return r.finish(pending);
}

/** Closed model: `concurrency` workers each send their next request when the previous one is answered. */
export async function closedLoad<S>(
  target: HttpTarget,
  options: PhaseOptions<S> & { concurrency: number },
): Promise<PhaseResult<S>> {
  const r = recorder(target, options, options.concurrency);
  const worker = async () => {
    while (performance.now() < r.windowEnd) await r.send(performance.now());
  };
  return r.finish(Array.from({ length: options.concurrency }, worker));
}
