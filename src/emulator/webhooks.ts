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

/** What publish, the queues' pumps and close share. */
interface Sender {
  readonly state: State;
  readonly options: WebhookDeliveryOptions;
  readonly logger: Logger;
  readonly agent: Agent;
  readonly closing: AbortController;
  // One queue per registration and customer: a contract's next notice waits for the previous one
  // (webhooks.md "Ordering"); keying by customer also keeps CustomerCreated ahead of ContractCreated.
  readonly queues: Map<string, Delivery[]>;
  /** Retry waits in progress, cleared by close. */
  readonly timers: Set<NodeJS.Timeout>;
  /** Deliveries queued, in flight or waiting for a retry. */
  pending: number;
  /** idle() callers, woken when `pending` reaches 0. */
  waiters: (() => void)[];
}

function settle(sender: Sender): void {
  sender.pending -= 1;
  if (sender.pending === 0) for (const wake of sender.waiters.splice(0)) wake();
}

function wait(sender: Sender, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (sender.closing.signal.aborted) return resolve();
    const timer = setTimeout(() => {
      sender.timers.delete(timer);
      resolve();
    }, ms);
    sender.timers.add(timer);
  });
}

/** One POST of a delivery, following 301s; resolves to the final status. */
async function post(
  sender: Sender,
  url: string,
  delivery: Delivery,
  registration: StoredWebhook,
): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (delivery.failures > 0) headers['x-retry-count'] = String(delivery.failures);
  if (registration.Auth) {
    const token = Buffer.from(`${registration.Auth.User}:${registration.Auth.Password}`).toString('base64');
    headers.authorization = `Basic ${token}`;
  }
  const signal = AbortSignal.any([sender.closing.signal, AbortSignal.timeout(sender.options.timeoutMs)]);
  let target = url;
  for (let hop = 0; ; hop += 1) {
    const response = await request(target, {
      method: 'POST',
      body: delivery.body,
      headers,
      dispatcher: sender.agent,
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

/** One delivery attempt: delivered, failed, or 'gone' when its registration was deleted meanwhile. */
async function attempt(sender: Sender, delivery: Delivery): Promise<boolean | 'gone'> {
  const registration = sender.state.webhooks.get(delivery.registrationId);
  if (!registration) return 'gone';
  try {
    const status = await post(sender, registration.Url, delivery, registration);
    if (SUCCESS.has(status)) return true;
    sender.logger.debug(
      { url: registration.Url, status, retry: delivery.failures },
      'webhook delivery failed',
    );
  } catch (error) {
    sender.logger.debug(
      { url: registration.Url, err: error, retry: delivery.failures },
      'webhook delivery failed',
    );
  }
  return false;
}

/** Works one queue off head first, retrying the head until it is delivered or dropped. */
async function pump(sender: Sender, key: string, queue: Delivery[]): Promise<void> {
  const { options, logger } = sender;
  for (let head = queue[0]; head && !sender.closing.signal.aborted; head = queue[0]) {
    const outcome = await attempt(sender, head);
    if (outcome === false && head.failures < options.maxRetries) {
      head.failures += 1;
      await wait(sender, options.baseDelayMs * options.factor ** (head.failures - 1));
      continue;
    }
    if (outcome === false) logger.warn({ retries: head.failures }, 'webhook dropped after the last retry');
    queue.shift();
    settle(sender);
  }
  sender.queues.delete(key);
}

function publish(sender: Sender, items: Outgoing[]): void {
  if (sender.closing.signal.aborted) return;
  for (const { key, notice } of items) {
    const body = JSON.stringify(notice);
    for (const registration of sender.state.webhooks.values()) {
      if (!listens(registration, notice.Event)) continue;
      const queueKey = `${registration.Id}|${key}`;
      const queue = sender.queues.get(queueKey);
      sender.pending += 1;
      const delivery = { registrationId: registration.Id, body, failures: 0 };
      if (queue) queue.push(delivery);
      else {
        const fresh = [delivery];
        sender.queues.set(queueKey, fresh);
        void pump(sender, queueKey, fresh);
      }
    }
  }
}

async function close(sender: Sender): Promise<void> {
  sender.closing.abort();
  for (const timer of sender.timers) clearTimeout(timer);
  sender.timers.clear();
  sender.queues.clear();
  sender.pending = 0;
  for (const wake of sender.waiters.splice(0)) wake();
  sender.waiters = [];
  await sender.agent.destroy().catch(() => undefined);
}

export function createWebhookSender(
  state: State,
  options: WebhookDeliveryOptions,
  logger: Logger,
): WebhookSender {
  const sender: Sender = {
    state,
    options,
    logger,
    agent: new Agent({ keepAliveTimeout: 1_000 }),
    closing: new AbortController(),
    queues: new Map(),
    timers: new Set(),
    pending: 0,
    waiters: [],
  };
  return {
    publish: (items) => publish(sender, items),
    idle: () =>
      sender.pending === 0 ? Promise.resolve() : new Promise((resolve) => sender.waiters.push(resolve)),
    close: () => close(sender),
  };
}
