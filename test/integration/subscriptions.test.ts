// billwerk's documented flows driven through the emulator, seen by graphql-ws subscribers of the gateway:
// webhook → stored → enriched → published in order, resumable by cursor.
import { jest } from '@jest/globals';
import WebSocket from 'ws';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { encodeEventCursor } from '../../src/events/cursor.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { bearer } from '../helpers/auth.js';
import { collect, subscribeLive, wsClient } from '../helpers/ws.js';
import { bid } from '../helpers/ids.js';

const CONTRACT_CHANGED = /* GraphQL */ `
  subscription Changed($contractId: ID, $customerId: ID, $changeTypes: [String!], $after: String) {
    contractChanged(
      contractId: $contractId
      customerId: $customerId
      changeTypes: $changeTypes
      after: $after
    ) {
      cursor
      event
      contractId
      customerId
      changeType
      knownChangeType
      delivery
      contract {
        billwerkId
        status
        endDate
        planVariant {
          billwerkId
          name
        }
        customer {
          billwerkId
        }
      }
      change {
        type
      }
    }
  }
`;

const ALL_EVENTS = /* GraphQL */ `
  subscription All($after: String, $types: [String!]) {
    billwerkEvents(after: $after, types: $types) {
      cursor
      event
      contractId
      customerId
      payload
      invoice {
        invoiceNumber
      }
      customer {
        billwerkId
      }
    }
  }
`;

const ONE_CONTRACT = /* GraphQL */ `
  subscription OneContract($contractId: ID, $after: String, $types: [String!]) {
    billwerkEvents(contractId: $contractId, after: $after, types: $types) {
      cursor
      contractId
      payload
    }
  }
`;

interface Changed {
  contractChanged: {
    cursor: string;
    event: string;
    contractId: string;
    customerId: string | null;
    changeType: string | null;
    knownChangeType: string | null;
    delivery: string;
    contract: {
      billwerkId: string;
      status: string;
      endDate: string | null;
      planVariant: { billwerkId: string; name: string } | null;
      customer: { billwerkId: string } | null;
    } | null;
    change: { type: string } | null;
  };
}

interface Any {
  billwerkEvents: {
    cursor: string;
    event: string;
    contractId: string | null;
    customerId: string | null;
    payload: Record<string, unknown>;
    invoice: { invoiceNumber: string } | null;
    customer: { billwerkId: string } | null;
  };
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const listening = <T>(query: string, variables: Record<string, unknown> = {}) =>
  subscribeLive<T>(stack.graphqlUrl, stack.gateway.events.hub, query, variables);

describe('flows through the emulator', () => {
  it('a signup for a new customer arrives as CustomerCreated, ContractCreated … with enriched data', async () => {
    const sub = await listening<Any>(ALL_EVENTS);
    const order = await stack.billwerk.orders.create({
      Customer: { FirstName: 'Live', LastName: 'Signup', EmailAddress: 'live@example.com' },
      Cart: { PlanVariantId: SEED_IDS.planVariants.basicMonthly },
    });
    const contract = await stack.billwerk.orders.commit(bid(order.Id), { PaymentMethod: 'InvoicePayment' });
    const wanted = ['CustomerCreated', 'ContractCreated', 'OrderSucceeded', 'InvoiceCreated'];
    const items = await sub.waitUntil((all) =>
      wanted.every((name) => all.some((i) => i.billwerkEvents.event === name)),
    );
    const events = items.map((i) => i.billwerkEvents);
    const names = events.map((e) => e.event);
    expect(names).toEqual(
      expect.arrayContaining(['CustomerCreated', 'ContractCreated', 'OrderSucceeded', 'InvoiceCreated']),
    );
    expect(names.indexOf('CustomerCreated')).toBeLessThan(names.indexOf('ContractCreated'));
    const created = events.find((e) => e.event === 'ContractCreated')!;
    expect(created).toMatchObject({ contractId: contract.Id, customer: { billwerkId: contract.CustomerId } });
    expect(events.find((e) => e.event === 'InvoiceCreated')!.invoice?.invoiceNumber).toBeTruthy();
    await sub.close();
  });

  it('a plan change reaches the contract subscriber as ContractChanged (Upgrade) with the new variant', async () => {
    const contractId = SEED_IDS.contracts.adaBasicMonthly;
    const sub = await listening<Changed>(CONTRACT_CHANGED, {
      contractId,
      changeTypes: ['Upgrade'],
    });
    const order = await stack.billwerk.orders.create({
      ContractId: contractId,
      Cart: { PlanVariantId: SEED_IDS.planVariants.proMonthly },
    });
    await stack.billwerk.orders.commit(bid(order.Id));
    const [event] = await sub.waitFor(1);
    expect(event!.contractChanged).toMatchObject({
      event: 'ContractChanged',
      contractId,
      changeType: 'Upgrade',
      knownChangeType: 'UPGRADE',
      delivery: 'PUBLISHED',
      contract: {
        planVariant: { billwerkId: SEED_IDS.planVariants.proMonthly },
        customer: { billwerkId: SEED_IDS.customers.ada },
      },
      change: { type: 'Upgrade' },
    });
    await sub.close();
  });

  it('a termination arrives as ContractCancelled now and as the end when the clock reaches it', async () => {
    const contractId = SEED_IDS.contracts.graceProYearly;
    const sub = await listening<Changed>(CONTRACT_CHANGED, { contractId });
    const preview = await stack.billwerk.contracts.cancellationPreview(bid(contractId));
    await stack.billwerk.contracts.end(bid(contractId), preview.EndDate);
    const [cancelled] = await sub.waitFor(1);
    expect(cancelled!.contractChanged.event).toBe('ContractCancelled');
    expect(Date.parse(cancelled!.contractChanged.contract!.endDate!)).toBe(Date.parse(preview.EndDate));
    await stack.emulator.clock.advanceTo(new Date(new Date(preview.EndDate).getTime() + 1000));
    const items = await sub.waitUntil((all) =>
      all.some((i) => i.contractChanged.event === 'ContractChanged'),
    );
    const ended = items.map((i) => i.contractChanged).find((e) => e.event === 'ContractChanged');
    expect(ended).toMatchObject({ changeType: 'EndContract', contract: { status: 'ENDED' } });
    await sub.close();
  });
});

describe('fan-out', () => {
  it('executes each event once per group of identical subscriptions, not once per subscriber', async () => {
    const probe = { types: ['FanoutProbe'] };
    const same = await Promise.all(Array.from({ length: 20 }, () => listening<Any>(ALL_EVENTS, probe)));
    // Same operation and variables but resuming from a cursor: still the same group.
    const resumed = await listening<Any>(ALL_EVENTS, {
      ...probe,
      after: encodeEventCursor(await stack.gateway.events.log.lastPublishedSeq()),
    });
    const other = await listening<Changed>(CONTRACT_CHANGED, { changeTypes: ['FanoutProbe'] });
    const before = { ...stack.gateway.fanout };
    await stack.postWebhook({ Event: 'FanoutProbe', ContractId: SEED_IDS.contracts.katherineFree });
    await Promise.all([...same, resumed].map((s) => s.waitFor(1)));
    const executions = stack.gateway.fanout.executions - before.executions;
    const shared = stack.gateway.fanout.shared - before.shared;
    const serialisations = stack.gateway.fanout.serialisations - before.serialisations;
    // One group for the 21 billwerkEvents subscribers; the contractChanged one filters the event out.
    expect(executions).toBe(1);
    expect(shared).toBe(20);
    // Serialised once too: every subscriber got the same text under its own subscription id.
    expect(serialisations).toBe(1);
    const received = await Promise.all(
      [...same, resumed].map(async (s) => JSON.stringify(await s.waitFor(1))),
    );
    expect(new Set(received).size).toBe(1);
    for (const s of [...same, resumed, other]) await s.close();
  });

  it('writes the shared payload as a graphql-ws next frame per subscription id, then completes as usual', async () => {
    const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const frames: string[] = [];
    const arrived: (() => void)[] = [];
    socket.on('message', (data: Buffer) => {
      frames.push(data.toString());
      arrived.splice(0).forEach((wake) => wake());
    });
    const until = async (check: () => boolean) => {
      while (!check()) await new Promise<void>((resolve) => arrived.push(resolve));
    };
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: bearer(stack.adminKey) } }),
    );
    await until(() => frames.length === 1);
    const { hub } = stack.gateway.events;
    const opened = hub.opened;
    const query = 'subscription { billwerkEvents(types: ["FrameProbe"]) { event payload } }';
    for (const id of ['a', 'b "quoted"'])
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
    await hub.untilCount('opened', opened + 2);
    const before = stack.gateway.fanout.serialisations;

    await stack.postWebhook({ Event: 'FrameProbe', N: 7 });
    await until(() => frames.length === 3);
    expect(stack.gateway.fanout.serialisations - before).toBe(1);
    const next = frames.slice(1).map((f) => JSON.parse(f) as { id: string; type: string; payload: unknown });
    expect(next.map((f) => [f.id, f.type])).toEqual([
      ['a', 'next'],
      ['b "quoted"', 'next'],
    ]);
    expect(next[0]!.payload).toEqual({
      data: { billwerkEvents: { event: 'FrameProbe', payload: { Event: 'FrameProbe', N: 7 } } },
    });
    expect(next[1]!.payload).toEqual(next[0]!.payload);

    // A completed subscription gets no more frames; the other one still does.
    const closedBefore = hub.closed;
    socket.send(JSON.stringify({ id: 'a', type: 'complete' }));
    await hub.untilCount('closed', closedBefore + 1);
    await stack.postWebhook({ Event: 'FrameProbe', N: 8 });
    await until(() => frames.length === 4);
    expect(JSON.parse(frames[3]!)).toMatchObject({ id: 'b "quoted"', type: 'next' });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.close(1000);
    await closed;
  });
});

describe('resuming', () => {
  it('a client that reconnects with its last cursor gets exactly what it missed, then live events', async () => {
    const contractId = SEED_IDS.contracts.katherineFree;
    const first = await listening<Any>(ALL_EVENTS, { types: ['ResumeProbe'] });
    await stack.postWebhook({ Event: 'ResumeProbe', ContractId: contractId, N: 1 });
    const [one] = await first.waitFor(1);
    await first.close();

    // Missed while away.
    await stack.postWebhook({ Event: 'ResumeProbe', ContractId: contractId, N: 2 });
    await stack.postWebhook({ Event: 'ResumeProbe', ContractId: contractId, N: 3 });
    await stack.gateway.events.pipeline.idle();

    const again = await listening<Any>(ALL_EVENTS, {
      types: ['ResumeProbe'],
      after: one!.billwerkEvents.cursor,
    });
    await again.waitFor(2);
    await stack.postWebhook({ Event: 'ResumeProbe', ContractId: contractId, N: 4 });
    const items = await again.waitFor(3);
    expect(items.map((i) => i.billwerkEvents.payload.N)).toEqual([2, 3, 4]);
    const cursors = items.map((i) => i.billwerkEvents.cursor);
    expect(new Set(cursors).size).toBe(3);
    await again.close();
  });

  it('a subscription to one contract among many resumes with exactly its missed events, read for it alone', async () => {
    const contracts = Object.values(SEED_IDS.contracts);
    const watched = SEED_IDS.contracts.graceProYearly;
    const variables = { contractId: watched, types: ['ScopeProbe'] };
    const first = await listening<Any>(ONE_CONTRACT, variables);
    await stack.postWebhook({ Event: 'ScopeProbe', ContractId: watched, N: 0 });
    const [zero] = await first.waitFor(1);
    await first.close();

    // Missed while away: three rounds over every contract.
    for (let round = 1; round <= 3; round += 1) {
      for (const contractId of contracts)
        await stack.postWebhook({ Event: 'ScopeProbe', ContractId: contractId, N: round });
    }
    await stack.gateway.events.pipeline.idle();

    const { log } = stack.gateway.events;
    const read = jest.spyOn(log, 'readPublished');
    try {
      const again = await listening<Any>(ONE_CONTRACT, { ...variables, after: zero!.billwerkEvents.cursor });
      await again.waitFor(3);
      await stack.postWebhook({ Event: 'ScopeProbe', ContractId: watched, N: 4 });
      const items = await again.waitFor(4);
      expect(items.map((i) => [i.billwerkEvents.contractId, i.billwerkEvents.payload.N])).toEqual(
        [1, 2, 3, 4].map((n) => [watched, n]),
      );
      await again.close();
      expect(read.mock.calls.length).toBeGreaterThan(0);
      expect(read.mock.calls.every(([, , scope]) => scope?.contractId === watched)).toBe(true);
    } finally {
      read.mockRestore();
    }
  });

  it('an unknown cursor is refused with BAD_USER_INPUT', async () => {
    const client = wsClient(stack.graphqlUrl);
    const sub = collect<Any>(client, ALL_EVENTS, { after: 'bm90LWEtY3Vyc29y' });
    const errors = (await sub.failed) as { message: string; extensions?: { code?: string } }[];
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await client.dispose();
  });

  it('a connection may hold 100 subscriptions; the 101st is refused with RATE_LIMITED', async () => {
    const { hub } = stack.gateway.events;
    const openedBefore = hub.opened;
    const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: bearer(stack.adminKey) } }),
    );
    await new Promise((resolve) => socket.once('message', resolve));
    const refused = new Promise<{ id: string; payload: { extensions?: { code?: string } }[] }>((resolve) =>
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { type: string; id: string; payload: never };
        if (message.type === 'error') resolve(message);
      }),
    );
    for (let n = 1; n <= 101; n += 1) {
      socket.send(JSON.stringify({ id: String(n), type: 'subscribe', payload: { query: ALL_EVENTS } }));
    }
    const error = await refused;
    expect(error.id).toBe('101');
    expect(error.payload[0]?.extensions?.code).toBe('RATE_LIMITED');
    await hub.untilCount('opened', openedBefore + 100);
    expect(hub.opened - openedBefore).toBe(100);
    const closedBefore = hub.closed;
    socket.terminate();
    await hub.untilCount('closed', closedBefore + 100);
  });

  it('abrupt disconnects leave no listener behind', async () => {
    const { hub } = stack.gateway.events;
    const [openedBefore, closedBefore] = [hub.opened, hub.closed];
    // Raw graphql-transport-ws sockets, cut without a goodbye.
    const sockets = await Promise.all(
      Array.from({ length: 5 }, async (_, n) => {
        const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
        await new Promise((resolve) => socket.once('open', resolve));
        socket.send(
          JSON.stringify({ type: 'connection_init', payload: { authorization: bearer(stack.adminKey) } }),
        );
        await new Promise((resolve) => socket.once('message', resolve));
        socket.send(JSON.stringify({ id: String(n), type: 'subscribe', payload: { query: ALL_EVENTS } }));
        return socket;
      }),
    );
    await hub.untilCount('opened', openedBefore + 5);
    for (const socket of sockets) socket.terminate();
    // Every stream those sockets opened is closed by the server, with no goodbye from the client.
    await hub.untilCount('closed', closedBefore + 5);
    expect(hub.closed - closedBefore).toBe(5);
  });
});
