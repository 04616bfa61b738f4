// Which REST reads enrichment makes for the events waiting in a contract's lane: a read that started after
// an event was handed on is valid enrichment for it too, so a burst on one contract costs one contract and
// one customer read; an event handed on while a read is out gets a read of its own.
import type { BillwerkClient } from '../../src/billwerk/client.js';
import type { Contract, ContractChange, Customer } from '../../src/billwerk/dto.js';
import { createEventPipeline } from '../../src/delivery/pipeline.js';
import type { Enrichment, EventLog, StoredEvent } from '../../src/events/event-log.js';
import type { ParsedNotice } from '../../src/events/notice.js';
import { createReader, type BillwerkReader } from '../../src/loaders/reader.js';
import { createSharedCache } from '../../src/loaders/shared-cache.js';
import { createLogger } from '../../src/logger.js';
import { notice } from '../helpers/notices.js';

const CONTRACT = '65f000000000000000000a01';
const CUSTOMER = '65f000000000000000000b01';
const changeId = (n: number) => `65f000000000000000000c${n.toString(16).padStart(2, '0')}`;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** billwerk as enrichment reads it: every read counted, the contract's answers numbered by version. */
function billwerk() {
  const reads = { contract: 0, customer: 0, changes: [] as string[] };
  /** Set by a test to hold the next contract read until it resolves; `started` fires as it is sent. */
  let hold: { started: () => void; until: Promise<void> } | undefined;
  const client = {
    contracts: {
      async find(id: string): Promise<Contract> {
        reads.contract += 1;
        const version = reads.contract;
        const held = hold;
        hold = undefined;
        held?.started();
        await held?.until;
        return {
          Id: id,
          CustomerId: CUSTOMER,
          Currency: 'EUR',
          LifecycleStatus: 'Active',
          StartDate: '2026-01-01T00:00:00.000Z',
          Phases: [],
          ExternalId: `version ${version}`,
        };
      },
    },
    customers: {
      find(id: string): Promise<Customer> {
        reads.customer += 1;
        return Promise.resolve({ Id: id, CustomerName: 'Ada' } as Customer);
      },
    },
    contractChanges: {
      // The change ids of a burst are unknown upstream: a 404, which the reader answers as null.
      find(id: string): Promise<ContractChange | null> {
        reads.changes.push(id);
        return Promise.resolve(null);
      },
    },
  } as unknown as BillwerkClient;
  return {
    reads,
    reader: createReader(client, createSharedCache()),
    holdNextContractRead(until: Promise<void>): Promise<void> {
      const started = deferred();
      hold = { started: started.resolve, until };
      return started.promise;
    },
  };
}

/** A log that keeps what each event was published with; the pipeline needs nothing else of it here. */
function publications() {
  const published = new Map<number, Enrichment | undefined>();
  const log = {
    publish(seq: number, enrichment: Enrichment | undefined): Promise<StoredEvent> {
      published.set(seq, enrichment);
      return Promise.resolve({ seq } as StoredEvent);
    },
    recordFailure: () => Promise.resolve(),
    pending: () => Promise.resolve([]),
  } satisfies Partial<EventLog> as unknown as EventLog;
  return { log, published };
}

const changed = (n: number): ParsedNotice =>
  notice({
    Event: 'ContractChanged',
    ContractId: CONTRACT,
    CustomerId: CUSTOMER,
    ContractChangeId: changeId(n),
    ContractChangeType: 'Upgrade',
  });

/** The pipeline over a fake billwerk, and what it published. */
function pipelineOver(upstream: ReturnType<typeof billwerk>) {
  const { log, published } = publications();
  const pipeline = createEventPipeline({
    log,
    reader: upstream.reader,
    logger: createLogger({ level: 'silent' }),
  });
  return { pipeline, published };
}

/**
 * Event 2 is handed on while billwerk is still answering the contract read made for event 1 (that answer
 * may predate event 2's change); `meanwhile` runs before the answer arrives.
 */
async function secondArrivesDuringFirstRead(meanwhile: (reader: BillwerkReader) => void = () => undefined) {
  const upstream = billwerk();
  const { pipeline, published } = pipelineOver(upstream);
  const answer = deferred();
  const sent = upstream.holdNextContractRead(answer.promise);
  const first = pipeline.submit(1, changed(1));
  await sent;
  const second = pipeline.submit(2, changed(2));
  meanwhile(upstream.reader);
  answer.resolve();
  await Promise.all([first, second]);
  await pipeline.close();
  return { reads: upstream.reads, published };
}

describe('enrichment reads for the events waiting in a lane', () => {
  it('reads the contract and the customer once for events of one contract handed on together', async () => {
    const upstream = billwerk();
    const { pipeline, published } = pipelineOver(upstream);
    await Promise.all([1, 2, 3, 4, 5].map((seq) => pipeline.submit(seq, changed(seq))));

    expect(upstream.reads.contract).toBe(1);
    expect(upstream.reads.customer).toBe(1);
    // A change is read by its own id, once per event: never shared between ids.
    expect(upstream.reads.changes).toEqual([1, 2, 3, 4, 5].map(changeId));
    expect([...published.keys()]).toEqual([1, 2, 3, 4, 5]);
    for (const enrichment of published.values()) {
      expect(enrichment?.contract?.ExternalId).toBe('version 1');
      expect(enrichment?.customer?.Id).toBe(CUSTOMER);
    }
    await pipeline.close();
  });

  it('reads the contract again for an event handed on after the read for an earlier one started', async () => {
    const { reads, published } = await secondArrivesDuringFirstRead();
    expect(reads.contract).toBe(2);
    expect(published.get(1)?.contract?.ExternalId).toBe('version 1');
    expect(published.get(2)?.contract?.ExternalId).toBe('version 2');
  });

  it('does not enrich with a contract primed from a list after the event was handed on', async () => {
    // A list read that may have started before the notice lands in the cache while the lane waits.
    const { reads, published } = await secondArrivesDuringFirstRead((reader) =>
      reader.cache.prime('Contract', CONTRACT, { Id: CONTRACT, ExternalId: 'from a list' }),
    );
    expect(reads.contract).toBe(2);
    expect(published.get(2)?.contract?.ExternalId).toBe('version 2');
  });
});
