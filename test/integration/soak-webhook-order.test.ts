// The soak's webhook sender (bench/soak/load.ts) numbers each contract's changes (SoakSeq) and the soak
// judges deliveries by those numbers, so the gateway must receive them in that order. Webhooks carry no
// sequence: one that overtakes its predecessor on the way is, for the gateway and every subscriber, the
// earlier change. A receiver on a real socket holds one answer back, as a stalled gateway would.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { startWebhooks } from '../../bench/soak/load.js';

type Webhooks = ReturnType<typeof startWebhooks>;

const CONTRACTS = [
  { id: 'contract-a', customerId: 'customer-a' },
  { id: 'contract-b', customerId: 'customer-b' },
];

interface Arrival {
  contractId: string;
  soakSeq: number;
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function readArrival(request: IncomingMessage): Promise<Arrival> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString()) as { ContractId: string; SoakSeq: number };
  return { contractId: body.ContractId, soakSeq: body.SoakSeq };
}

describe('the soak webhook sender', () => {
  let server: Server;
  let url: string;
  let webhooks: Webhooks | undefined;
  const arrivals: Arrival[] = [];
  /** The first change of contract A is answered only once this resolves: a stall on its way. */
  const releaseFirst = deferred();
  /** Resolves when the sender is two rounds further: contract B's third change arrived. */
  const laterRound = deferred();
  /** Resolves when contract A's second change arrived. */
  const secondOfA = deferred();

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      void readArrival(request).then(async (arrival) => {
        arrivals.push(arrival);
        if (arrival.contractId === 'contract-b' && arrival.soakSeq === 2) laterRound.resolve();
        if (arrival.contractId === 'contract-a' && arrival.soakSeq === 1) secondOfA.resolve();
        if (arrival.contractId === 'contract-a' && arrival.soakSeq === 0) await releaseFirst.promise;
        response.writeHead(202).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    releaseFirst.resolve();
    await webhooks?.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends a contract's next change only once its previous one was answered", async () => {
    const setup = { contracts: CONTRACTS, clientId: 'unused', clientSecret: 'unused' };
    const sender = startWebhooks(url, setup, 200);
    webhooks = sender;
    // Changes are due in turn: A0, B0, A1, B1, A2, B2. By B2, A1 and A2 were due, but A0 is unanswered.
    await laterRound.promise;
    expect(arrivals.filter((a) => a.contractId === 'contract-a').map((a) => a.soakSeq)).toEqual([0]);

    releaseFirst.resolve();
    await secondOfA.promise;
    await sender.stop();
    webhooks = undefined;
    for (const contract of CONTRACTS) {
      const numbers = arrivals.filter((a) => a.contractId === contract.id).map((a) => a.soakSeq);
      expect(numbers).toEqual(numbers.map((_, i) => i));
    }
    expect(sender.take().errors).toBe(0);
  });
});
