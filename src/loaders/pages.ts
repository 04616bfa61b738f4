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

export function createPages(reader: BillwerkReader, loaders: Loaders): Pages {
  const { client, cache } = reader;
  /** Identical page reads in flight across requests share one call. */
  const shared =
    <D extends { Id: string }>(
      path: string,
      query: Record<string, string | undefined>,
      prime: (items: D[]) => void,
    ): PageSource<D> =>
    async (take, from) => {
      const key = `page:${path}?${new URLSearchParams(Object.entries({ ...query, take: String(take), from }).filter((e): e is [string, string] => e[1] !== undefined)).toString()}`;
      const items = await cache.shareInFlight(key, () => client.listPage<D>(path, query, { take, from }));
      prime(items);
      return items;
    };
  return {
    customers: ({ search }) =>
      shared<Customer>('/customers', { search }, (items) =>
        primeAll(loaders.customer, reader, 'Customer', items),
      ),
    contracts: () =>
      shared<Contract>('/contracts', {}, (items) => primeAll(loaders.contract, reader, 'Contract', items)),
    contractsOfCustomer: (customerId) =>
      shared<Contract>(`/customers/${encodeURIComponent(customerId)}/contracts`, {}, (items) =>
        primeAll(loaders.contract, reader, 'Contract', items),
      ),
    invoices: ({ customerId, contractId }) =>
      shared<Invoice>('/invoices', { customerId, contractId }, (items) =>
        primeAll(loaders.invoice, reader, 'Invoice', items),
      ),
  };
}
