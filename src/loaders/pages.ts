// Paged list reads (one billwerk page per call, `from` exclusive) for the GraphQL connections; every
// entity a page brings is handed to the per-request and shared caches so later lookups cost nothing.
import type { Contract, Customer, Invoice } from '../billwerk/dto.js';
import { type BillwerkId } from '../billwerk/id.js';
import { type ListQuery } from '../billwerk/resources.js';
import { type Loaders, primeAll } from './loaders.js';
import { type BillwerkReader } from './reader.js';

/** One billwerk page: `take` items after the item with id `from` (exclusive). */
export type PageSource<D> = (take: number, from: BillwerkId | undefined) => Promise<D[]>;

export interface Pages {
  customers(filter: { search?: string }): PageSource<Customer>;
  contracts(): PageSource<Contract>;
  contractsOfCustomer(customerId: BillwerkId): PageSource<Contract>;
  invoices(filter: { customerId?: BillwerkId; contractId?: BillwerkId }): PageSource<Invoice>;
}

/** Prototype methods rather than closures: a subscription's context holds its pages while it is open. */
class ReaderPages implements Pages {
  constructor(
    private readonly reader: BillwerkReader,
    private readonly loaders: Loaders,
  ) {}

  customers({ search }: { search?: string }): PageSource<Customer> {
    const { customers } = this.reader.client;
    return this.shared(
      'customers',
      { search },
      (page) => customers.list({ ...page, search }),
      (items) => primeAll(this.loaders.customer, this.reader, 'Customer', items),
    );
  }
  contracts(): PageSource<Contract> {
    const { contracts } = this.reader.client;
    return this.shared(
      'contracts',
      {},
      (page) => contracts.list(page),
      (items) => primeAll(this.loaders.contract, this.reader, 'Contract', items),
    );
  }
  contractsOfCustomer(customerId: BillwerkId): PageSource<Contract> {
    const { customers } = this.reader.client;
    return this.shared(
      `customers/${customerId}/contracts`,
      {},
      (page) => customers.contracts(customerId, page),
      (items) => primeAll(this.loaders.contract, this.reader, 'Contract', items),
    );
  }
  invoices(filter: { customerId?: BillwerkId; contractId?: BillwerkId }): PageSource<Invoice> {
    const { invoices } = this.reader.client;
    return this.shared(
      'invoices',
      filter,
      (page) => invoices.list({ ...page, ...filter }),
      (items) => primeAll(this.loaders.invoice, this.reader, 'Invoice', items),
    );
  }

  /** Identical page reads in flight across requests share one call. */
  private shared<D extends { Id: string }>(
    list: string,
    filter: Record<string, string | undefined>,
    read: (page: Required<Pick<ListQuery, 'take'>> & ListQuery) => Promise<D[]>,
    prime: (items: D[]) => void,
  ): PageSource<D> {
    const { cache } = this.reader;
    return async (take, from) => {
      const params = Object.entries({ ...filter, take: String(take), from }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      );
      const key = `page:${list}?${new URLSearchParams(params).toString()}`;
      const items = await cache.shareInFlight(key, () => read({ take, from }));
      prime(items);
      return items;
    };
  }
}

export function createPages(reader: BillwerkReader, loaders: Loaders): Pages {
  return new ReaderPages(reader, loaders);
}
