// Resuming the unpublished backlog after a restart: read a page at a time, each page once the previous
// one is handed on, so memory stays flat whatever the backlog; each contract's events keep their order.
import type { Contract } from '../../src/billwerk/dto.js';
import { type EventLog, type StoredEvent } from '../../src/events/event-log.js';
import { dedupeKey } from '../../src/events/notice.js';
import { createEventPipeline, type PipelineOptions } from '../../src/delivery/pipeline.js';
import { createSqliteEventLog } from '../../src/events/sqlite-event-log.js';
import { type BillwerkReader } from '../../src/loaders/reader.js';
import { createSharedCache } from '../../src/loaders/shared-cache.js';
import { createLogger } from '../../src/logger.js';
import { openDatabase } from '../../src/store/database.js';
import { notice } from '../helpers/notices.js';

const CONTRACTS = Array.from(
  { length: 7 },
  (_, i) => `65f0000000000000000009${i.toString(16).padStart(2, '0')}`,
);

/** billwerk as enrichment sees it: every contract exists. */
const reader = {
  cache: createSharedCache(),
  contract: (id: string): Promise<Contract> =>
    Promise.resolve({
      Id: id,
      CustomerId: '65f000000000000000000100',
      Currency: 'EUR',
      LifecycleStatus: 'Active',
      StartDate: '2026-01-01T00:00:00.000Z',
      Phases: [],
    }),
} satisfies Partial<BillwerkReader> as unknown as BillwerkReader;

async function backlog(log: EventLog, events: number, first = 0): Promise<void> {
  for (let n = first; n < first + events; n += 1) {
    const body = notice({ Event: 'BacklogProbe', ContractId: CONTRACTS[n % CONTRACTS.length], N: n });
    await log.append(body, { dedupeKey: dedupeKey(body), mayRepeat: true, receivedAt: new Date() });
  }
}

/** The N of each published event, per contract, in publication order. */
function byContract(published: StoredEvent[]): Map<string, number[]> {
  const lanes = new Map<string, number[]>();
  for (const event of published) {
    const n = event.notice.payload.N as number;
    lanes.set(event.notice.contractId!, [...(lanes.get(event.notice.contractId!) ?? []), n]);
  }
  return lanes;
}

/** A pipeline over `log` that keeps what it publishes, enriching through `reader` unless told otherwise. */
function publishing(log: EventLog, options: Partial<PipelineOptions> = {}) {
  const published: StoredEvent[] = [];
  const pipeline = createEventPipeline({
    log,
    reader,
    hub: { publish: (event) => void published.push(event) },
    logger: createLogger({ level: 'silent' }),
    ...options,
  });
  return { pipeline, published };
}

describe('resuming the unpublished backlog', () => {
  let log: EventLog;
  beforeEach(() => {
    log = createSqliteEventLog(openDatabase({ file: ':memory:' }));
  });
  afterEach(() => log.close());

  it('publishes 5,000 waiting events in order per contract, reading the log 100 at a time', async () => {
    await backlog(log, 5000);
    const published: StoredEvent[] = [];
    const reads: { afterSeq: number; limit: number; size: number; waiting: number }[] = [];
    let handedOn = 0;
    const read = log.pending.bind(log);
    log.pending = async (afterSeq, limit) => {
      const waiting = handedOn - published.length;
      const page = await read(afterSeq, limit);
      handedOn += page.length;
      reads.push({ afterSeq, limit, size: page.length, waiting });
      return page;
    };
    const pipeline = createEventPipeline({
      log,
      reader,
      hub: { publish: (event) => void published.push(event) },
      logger: createLogger({ level: 'silent' }),
    });
    await pipeline.resume();
    await pipeline.idle();

    expect(published).toHaveLength(5000);
    for (const [contract, ns] of byContract(published)) {
      const index = CONTRACTS.indexOf(contract);
      expect(ns).toEqual(Array.from({ length: ns.length }, (_, i) => index + i * CONTRACTS.length));
    }
    expect(reads.length).toBeGreaterThanOrEqual(50);
    expect(Math.max(...reads.map((r) => r.size))).toBe(100);
    expect(reads.every((r) => r.limit === 100)).toBe(true);
    // The next page is read only once fewer than a page's worth of events wait in the lanes.
    expect(Math.max(...reads.map((r) => r.waiting))).toBeLessThan(100);
    expect((await log.stats()).pending).toBe(0);
    await pipeline.close();
  });

  it('puts an event stored during the resume after the older events of its contract', async () => {
    await backlog(log, 300);
    const { pipeline, published } = publishing(log, { batchSize: 10 });
    const resumed = pipeline.resume();
    // A webhook for the first contract arrives while the backlog is still being read.
    const live = notice({ Event: 'BacklogProbe', ContractId: CONTRACTS[0], N: 300 });
    const stored = await log.append(live, { dedupeKey: 'live', mayRepeat: true, receivedAt: new Date() });
    if (!stored.stored) throw new Error('expected the live event to be stored');
    const delivered = pipeline.submit(stored.seq, live);
    await resumed;
    await delivered;
    await pipeline.idle();
    const first = byContract(published).get(CONTRACTS[0]!)!;
    expect(first.at(-1)).toBe(300);
    expect(first).toEqual([...first].sort((a, b) => a - b));
    expect(published).toHaveLength(301);
    await pipeline.close();
  });
  it('publishes once an event the resume read before the webhook route handed it on', async () => {
    await backlog(log, 5);
    // A webhook stored just before the resume reads the log: the resume may read it before the route's
    // hand-over arrives, on a contract of its own so its enrichment starts as soon as it is read.
    const own = CONTRACTS[6]!;
    const live = notice({ Event: 'BacklogProbe', ContractId: own, N: 5 });
    const stored = await log.append(live, { dedupeKey: 'live', mayRepeat: true, receivedAt: new Date() });
    if (!stored.stored) throw new Error('expected the live event to be stored');
    let enriching!: () => void;
    const enrichmentStarted = new Promise<void>((resolve) => (enriching = resolve));
    const watched = {
      ...reader,
      cache: reader.cache,
      contract: (id: string) => {
        if (id === own) enriching();
        return reader.contract(id);
      },
    } as unknown as BillwerkReader;
    const { pipeline, published } = publishing(log, { reader: watched, batchSize: 10 });
    const resumed = pipeline.resume();
    await enrichmentStarted;
    const delivered = pipeline.submit(stored.seq, live);
    await resumed;
    await delivered;
    await pipeline.idle();
    expect(published.filter((event) => event.seq === stored.seq)).toHaveLength(1);
    expect(published).toHaveLength(6);
    await pipeline.close();
  });
});

describe('abandoning what was read under a lost lease', () => {
  it('publishes none of it, even once publishing works again; what is handed on anew goes out in order', async () => {
    const log = createSqliteEventLog(openDatabase({ file: ':memory:' }));
    const seqs: number[] = [];
    const bodies = [1, 2].map((n) => notice({ Event: 'BacklogProbe', ContractId: CONTRACTS[0], N: n }));
    for (const body of bodies) {
      const stored = await log.append(body, {
        dedupeKey: `n${seqs.length}`,
        mayRepeat: true,
        receivedAt: new Date(),
      });
      if (!stored.stored) throw new Error('expected a new event');
      seqs.push(stored.seq);
    }
    // The first publication fails (a replica is away), and its retry is far off.
    const attempts: number[] = [];
    let firstAttempt = (): void => undefined;
    const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
    let failing = true;
    const publish = log.publish.bind(log);
    log.publish = (seq, ...rest) => {
      attempts.push(seq);
      firstAttempt();
      return failing ? Promise.reject(new Error('no replica answered')) : publish(seq, ...rest);
    };
    const { pipeline, published } = publishing(log, { retryBaseDelayMs: 60_000 });
    const first = seqs.map((seq, i) => pipeline.submit(seq, bodies[i]!));
    await attempted;
    pipeline.abandon();
    failing = false;
    // The retry's wait is cut short and the lane ends without another attempt.
    await Promise.all(first);
    expect(attempts).toEqual([seqs[0]]);
    expect(published).toEqual([]);
    await Promise.all(seqs.map((seq, i) => pipeline.submit(seq, bodies[i]!)));
    expect(published.map((event) => event.seq)).toEqual(seqs);
    await pipeline.close();
    await log.close();
  });
});

describe('enrichment under a backlog', () => {
  it('enriches at most maxEnrichments events at once, however many contracts wait', async () => {
    const log = createSqliteEventLog(openDatabase({ file: ':memory:' }));
    const stored: { seq: number; body: ReturnType<typeof notice> }[] = [];
    for (const contractId of CONTRACTS) {
      const body = notice({ Event: 'BacklogProbe', ContractId: contractId });
      const result = await log.append(body, {
        dedupeKey: contractId,
        mayRepeat: true,
        receivedAt: new Date(),
      });
      if (!result.stored) throw new Error('expected a new event');
      stored.push({ seq: result.seq, body });
    }
    // Each contract read answers a turn of the event loop later: every lane that may read does so first.
    let reading = 0;
    let most = 0;
    const slowReader = {
      ...reader,
      contract: async (id: string) => {
        reading += 1;
        most = Math.max(most, reading);
        await new Promise((resolve) => setImmediate(resolve));
        reading -= 1;
        return reader.contract(id);
      },
    };
    const { pipeline, published } = publishing(log, { reader: slowReader, maxEnrichments: 3 });
    await Promise.all(stored.map(({ seq, body }) => pipeline.submit(seq, body)));
    expect(most).toBe(3);
    expect(published.map((event) => event.seq).sort((a, b) => a - b)).toEqual(stored.map((e) => e.seq));
    await pipeline.close();
    await log.close();
  });

  it('closes without reading billwerk for the events still waiting for a slot', async () => {
    const log = createSqliteEventLog(openDatabase({ file: ':memory:' }));
    // The one slot is taken by a read that answers only when the test lets it.
    const reads: string[] = [];
    let answer = (): void => undefined;
    let firstRead = (): void => undefined;
    const reading = new Promise<void>((resolve) => (firstRead = resolve));
    const gatedReader = {
      ...reader,
      contract: (id: string) => {
        reads.push(id);
        firstRead();
        return new Promise<void>((resolve) => (answer = resolve)).then(() => reader.contract(id));
      },
    };
    const pipeline = createEventPipeline({
      log,
      reader: gatedReader,
      logger: createLogger({ level: 'silent' }),
      maxEnrichments: 1,
    });
    const submitted = CONTRACTS.map(async (contractId) => {
      const body = notice({ Event: 'BacklogProbe', ContractId: contractId });
      const result = await log.append(body, {
        dedupeKey: contractId,
        mayRepeat: true,
        receivedAt: new Date(),
      });
      if (!result.stored) throw new Error('expected a new event');
      return pipeline.submit(result.seq, body);
    });
    await reading;
    const closed = pipeline.close();
    answer();
    await closed;
    await Promise.all(submitted);
    expect(reads).toEqual([CONTRACTS[0]]);
    await log.close();
  });
});
