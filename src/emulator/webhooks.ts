// Outgoing webhook delivery with billwerk's semantics (webhooks.md "Delivery"): success codes,
// timeout, 301, doubling retries with X-Retry-Count, drop after the last retry, per-contract order.
import { Agent, request } from 'undici';
import type { Logger } from 'pino';
import { type Outgoing } from './domain/context.js';
import { type State, type StoredWebhook } from './store.js';

export interface WebhookDeliveryOptions {
  /** Delay before the first retry, ms. billwerk documents none; 40 s fits "~2 days" over 12 retries [inferred]. */
  baseDelayMs: number;
  /** Each further retry waits this many times longer ("the delay doubles"). */
  factor: number;
  /** Retries after the first attempt; then the notice is dropped ("roughly a dozen"). */
  maxRetries: number;
  /** No answer within this many ms is a failure (billwerk: 10 s). */
  timeoutMs: number;
}

export interface WebhookSender {
  /** Queues notices for every registration that lists their event. */
  publish(items: Outgoing[]): void;
  /** Resolves when nothing is queued, in flight or waiting for a retry. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Only these statuses count as delivered; anything else is retried. */
const SUCCESS = new Set([200, 201, 202, 204]);
const MAX_REDIRECTS = 5;

interface Delivery {
  registrationId: string;
  body: string;
  /** Failed attempts so far; the next attempt is retry number `failures`. */
  failures: number;
}

/** An empty Events list receives every event [inferred]; billwerk has no wildcard. */
function listens(registration: StoredWebhook, event: string): boolean {
  return (
    registration.Events.length === 0 ||
    registration.Events.some((name) => name.toLowerCase() === event.toLowerCase())
  );
}

export function createWebhookSender(
  state: State,
  options: WebhookDeliveryOptions,
  logger: Logger,
): WebhookSender {
  const agent = new Agent({ keepAliveTimeout: 1_000 });
  const closing = new AbortController();
  // One queue per registration and customer: a contract's next notice waits for the previous one
  // (webhooks.md "Ordering"); keying by customer also keeps CustomerCreated ahead of ContractCreated.
  const queues = new Map<string, Delivery[]>();
  const timers = new Set<NodeJS.Timeout>();
  let pending = 0;
  let waiters: (() => void)[] = [];

  const settle = (): void => {
    pending -= 1;
    if (pending === 0) for (const wake of waiters.splice(0)) wake();
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (closing.signal.aborted) return resolve();
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function post(url: string, delivery: Delivery, registration: StoredWebhook): Promise<number> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (delivery.failures > 0) headers['x-retry-count'] = String(delivery.failures);
    if (registration.Auth) {
      const token = Buffer.from(`${registration.Auth.User}:${registration.Auth.Password}`).toString('base64');
      headers.authorization = `Basic ${token}`;
    }
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(options.timeoutMs)]);
    let target = url;
    for (let hop = 0; ; hop += 1) {
      const response = await request(target, {
        method: 'POST',
        body: delivery.body,
        headers,
        dispatcher: agent,
        signal,
      });
      await response.body.dump();
      const location = response.headers.location;
      // billwerk follows 301 (webhooks.md); other redirects count as failures [inferred].
      if (response.statusCode !== 301 || typeof location !== 'string' || hop >= MAX_REDIRECTS) {
        return response.statusCode;
      }
      target = new URL(location, target).toString();
    }
  }

  async function attempt(delivery: Delivery): Promise<boolean | 'gone'> {
    const registration = state.webhooks.get(delivery.registrationId);
    if (!registration) return 'gone';
    try {
      const status = await post(registration.Url, delivery, registration);
      if (SUCCESS.has(status)) return true;
      logger.debug({ url: registration.Url, status, retry: delivery.failures }, 'webhook delivery failed');
    } catch (error) {
      logger.debug(
        { url: registration.Url, err: error, retry: delivery.failures },
        'webhook delivery failed',
      );
    }
    return false;
  }

  async function pump(key: string, queue: Delivery[]): Promise<void> {
    for (let head = queue[0]; head && !closing.signal.aborted; head = queue[0]) {
      const outcome = await attempt(head);
      if (outcome === false && head.failures < options.maxRetries) {
        head.failures += 1;
        await wait(options.baseDelayMs * options.factor ** (head.failures - 1));
        continue;
      }
      if (outcome === false) logger.warn({ retries: head.failures }, 'webhook dropped after the last retry');
      queue.shift();
      settle();
    }
    queues.delete(key);
  }

  return {
    publish(items) {
      if (closing.signal.aborted) return;
      for (const { key, notice } of items) {
        const body = JSON.stringify(notice);
        for (const registration of state.webhooks.values()) {
          if (!listens(registration, notice.Event)) continue;
          const queueKey = `${registration.Id}|${key}`;
          const queue = queues.get(queueKey);
          pending += 1;
          const delivery = { registrationId: registration.Id, body, failures: 0 };
          if (queue) queue.push(delivery);
          else {
            const fresh = [delivery];
            queues.set(queueKey, fresh);
            void pump(queueKey, fresh);
          }
        }
      }
    },
    idle: () => (pending === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    async close() {
      closing.abort();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      queues.clear();
      pending = 0;
      for (const wake of waiters.splice(0)) wake();
      waiters = [];
      await agent.destroy().catch(() => undefined);
    },
  };
}
