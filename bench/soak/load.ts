// The soak's HTTP load: webhooks and one-contract queries, each on a fixed schedule (open model: a request
// is timed from when it was due, so a stalled gateway cannot slow the clock that measures it), their
// latencies kept per window for the orchestrator to read and reset every minute.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { type EmulatorSetup, SOAK_ADMIN_KEY, SOAK_WEBHOOK_AUTH, sharedNow } from './protocol.js';

export interface Window {
  latencies: number[];
  errors: number;
}

export interface Schedule {
  /** Latencies and failures since the last call, and a fresh window from now. */
  take(): Window;
  /** Stops sending; resolves when what was sent has been answered. */
  stop(): Promise<void>;
}

const STOP_WAIT_MS = 10_000;

/** Sends request `i` at `ratePerSecond` from now on; `send` resolves true on success. */
function schedule(ratePerSecond: number, send: (i: number) => Promise<boolean>): Schedule {
  let window: Window = { latencies: [], errors: 0 };
  const start = performance.now();
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * ratePerSecond);
    for (; sent < due; sent += 1) {
      const dueAt = start + (sent / ratePerSecond) * 1000;
      const request = send(sent)
        .catch(() => false)
        .then((ok) => {
          if (ok) window.latencies.push(performance.now() - dueAt);
          else window.errors += 1;
        })
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
  }, 5);
  return {
    take() {
      const taken = window;
      window = { latencies: [], errors: 0 };
      return taken;
    },
    /** Stops sending and waits for what is in flight, at most STOP_WAIT_MS (an overloaded gateway's
     * backlog could take minutes): what is still unanswered then counts as failed. */
    async stop() {
      clearInterval(tick);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        Promise.all(inFlight).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STOP_WAIT_MS))),
      ]);
      clearTimeout(timer);
      if (!waited) window.errors += inFlight.size;
    },
  };
}

const ONE_CONTRACT = `query OneContract($id: ID!) {
  contract(id: $id) { id status referenceCode customer { id displayName } }
}`;

/** One-contract queries over the contracts in turn (a stride, so neighbours are not asked together). */
export function startQueries(url: string, setup: EmulatorSetup, ratePerSecond: number) {
  const pool = new Pool(url, { connections: 32 });
  const { contracts } = setup;
  const queries = schedule(ratePerSecond, async (i) => {
    const contract = contracts[(i * 7) % contracts.length]!;
    const response = await pool.request({
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SOAK_ADMIN_KEY}` },
      body: JSON.stringify({ query: ONE_CONTRACT, variables: { id: contract.id } }),
    });
    const text = await response.body.text();
    return response.statusCode === 200 && !text.includes('"errors"');
  });
  return {
    ...queries,
    stop: () => queries.stop().then(() => pool.destroy()),
  };
}

/** An id billwerk's notices would carry: 24 hex digits, `prefix` then `n`. */
const objectId = (prefix: string, n: number) => prefix + n.toString(16).padStart(24 - prefix.length, '0');

/**
 * ContractChanged webhooks with a change id of their own (numbered from `firstChange`, so several runs
 * against one log never repeat one), the contracts in turn; each carries its contract's running number
 * (`SoakSeq`) and when it was sent (`SentAt`), which billwerk's payloads do not.
 *
 * A contract's next change is sent once its previous one was answered. A webhook carries no sequence, so
 * the order the gateway receives a contract's changes in is their order for it and every subscriber: sent
 * side by side, one that overtakes its predecessor on the way (a stalled gateway, a starved sender) would
 * reach every subscriber before it, and the numbers would count a correct delivery as a repeat.
 */
export function startWebhooks(url: string, setup: EmulatorSetup, ratePerSecond: number, firstChange = 0) {
  const pool = new Pool(url, { connections: 32 });
  const { contracts } = setup;
  /** The number of the last change sent per contract (-1: none yet). */
  const lastSent = contracts.map(() => -1);
  /** Each contract's latest webhook, settled once answered (or failed): its next one waits for it. */
  const previous = contracts.map((): Promise<unknown> => Promise.resolve());
  const authorization = `Basic ${Buffer.from(`${SOAK_WEBHOOK_AUTH.user}:${SOAK_WEBHOOK_AUTH.password}`).toString('base64')}`;
  const post = async (i: number, c: number, k: number) => {
    const body = {
      Event: 'ContractChanged',
      EntityId: objectId('5e', 1),
      ContractId: contracts[c]!.id,
      ContractChangeId: objectId('ab', firstChange + i),
      ContractChangeType: 'Upgrade',
      CustomerId: contracts[c]!.customerId,
      SoakSeq: k,
      SentAt: sharedNow(),
    };
    const response = await pool.request({
      path: '/webhooks/billwerk',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(body),
    });
    await response.body.dump();
    return response.statusCode >= 200 && response.statusCode < 300;
  };
  const webhooks = schedule(ratePerSecond, (i) => {
    const c = i % contracts.length;
    const k = (lastSent[c] = lastSent[c]! + 1);
    const sent = previous[c]!.then(() => post(i, c, k));
    previous[c] = sent.catch(() => undefined);
    return sent;
  });
  return {
    ...webhooks,
    lastSent,
    stop: () => webhooks.stop().then(() => pool.destroy()),
  };
}
