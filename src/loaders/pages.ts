// Paged list reads (one billwerk page per call, `from` exclusive) for the GraphQL connections; every
// entity a page brings is handed to the per-request and shared caches so later lookups cost nothing.
import type { Contract, Customer, Invoice } from '../billwerk/dto.js';
import { type Loaders, primeAll } from './loaders.js';
import { type BillwerkReader } from './reader.js';

export type PageSource<D> = (take: number, from: string | undefined) => Promise<D[]>;

export interface Pages {
  customers(filter: { search?: string }): PageSource<Customer>;
  contracts(): PageSource<Contract>;
  contractsOfCustomer(customerId: string): PageSource<Contract>;
  invoices(filter: { customerId?: string; contractId?: string }): PageSource<Invoice>;
}

/** Prototype methods rather than closures: a subscription's context holds its pages while it is open. */
class ReaderPages implements Pages {
  constructor(
    private readonly reader: BillwerkReader,
    private readonly loaders: Loaders,
  ) {}

  customers({ search }: { search?: string }): PageSource<Customer> {
    return this.shared<Customer>('/customers', { search }, (items) =>
      primeAll(this.loaders.customer, this.reader, 'Customer', items),
    );
  }
  contracts(): PageSource<Contract> {
    return this.shared<Contract>('/contracts', {}, (items) =>
      primeAll(this.loaders.contract, this.reader, 'Contract', items),
    );
  }
  contractsOfCustomer(customerId: string): PageSource<Contract> {
    return this.shared<Contract>(`/customers/${encodeURIComponent(customerId)}/contracts`, {}, (items) =>
      primeAll(this.loaders.contract, this.reader, 'Contract', items),
    );
  }
  invoices({ customerId, contractId }: { customerId?: string; contractId?: string }): PageSource<Invoice> {
    return this.shared<Invoice>('/invoices', { customerId, contractId }, (items) =>
      primeAll(this.loaders.invoice, this.reader, 'Invoice', items),
    );
  }

  /** Identical page reads in flight across requests share one call. */
  private shared<D extends { Id: string }>(
    path: string,
    query: Record<string, string | undefined>,
    prime: (items: D[]) => void,
  ): PageSource<D> {
    const { client, cache } = this.reader;
    return async (take, from) => {
      const key = `page:${path}?${new URLSearchParams(Object.entries({ ...query, take: String(take), from }).filter((e): e is [string, string] => e[1] !== undefined)).toString()}`;
      const items = await cache.shareInFlight(key, () => client.listPage<D>(path, query, { take, from }));
      prime(items);
      return items;
    };
  }
}

export function createPages(reader: BillwerkReader, loaders: Loaders): Pages {
  return new ReaderPages(reader, loaders);
}
