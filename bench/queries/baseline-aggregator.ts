// The yardstick: a hand-written Fastify + undici REST aggregator answering the benchmark's page of
// contracts with the same billwerk calls the gateway makes, and no GraphQL, DataLoader or cache.
import { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import type { Contract, Customer, ProductInfo } from '../../src/billwerk/dto.js';
import { type UpstreamCall } from './protocol.js';

export interface BaselineOptions {
  /** billwerk (emulator) root, without /api/v1. */
  billwerkUrl: string;
  clientId: string;
  clientSecret: string;
  /** Sockets per upstream origin. */
  connections: number;
  /** @default 0 (a free port) */
  port?: number;
  /** Hears about each billwerk call when it has been answered (for the bench's traces). */
  onCall?: (call: UpstreamCall) => void;
}

export interface Baseline {
  /** GET `${url}/contracts-page?first=20&after=<contract id>` answers what the benchmark's query answers. */
  readonly url: string;
  close(): Promise<void>;
}

/** GraphQL enum names of billwerk's lifecycle statuses: `InTrial` → `IN_TRIAL`. */
const enumName = (value: string) => value.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

export async function createBaselineAggregator(options: BaselineOptions): Promise<Baseline> {
  const agent = new Agent({ connections: options.connections });
  const api = `${options.billwerkUrl}/api/v1`;

  // One token for the whole run, as the gateway's client caches its own.
  const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64');
  const tokenResponse = await request(`${options.billwerkUrl}/oauth/token`, {
    dispatcher: agent,
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await tokenResponse.body.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };

  // The DTOs are trusted as they come, as a quick hand-written aggregator would (the gateway checks
  // only a list's shape, so neither side pays for validation).
  async function get<T>(path: string): Promise<T> {
    const startedAt = performance.now();
    const res = await request(`${api}${path}`, { dispatcher: agent, headers });
    const text = await res.body.text();
    options.onCall?.({ method: 'GET', path, startedAt, endedAt: performance.now() });
    if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}`);
    return JSON.parse(text) as T;
  }

  const app = Fastify();
  app.get<{ Querystring: { first?: string; after?: string } }>('/contracts-page', async (req, reply) => {
    const first = Number(req.query.first ?? 20);
    const after = req.query.after;
    if (!Number.isInteger(first) || first < 1 || first > 100) {
      return reply.code(400).send({ error: 'first must be between 1 and 100' });
    }
    // One more than the page tells whether another follows; billwerk's `from` includes the cursor
    // itself, so a page after one costs one more again (as src/billwerk/paging.ts explains).
    const contracts = after
      ? (await get<Contract[]>(`/contracts?take=${first + 2}&from=${encodeURIComponent(after)}`))
          .filter((contract) => contract.Id !== after)
          .slice(0, first)
      : (await get<Contract[]>(`/contracts?take=${first + 1}`)).slice(0, first);
    const customerIds = [...new Set(contracts.map((contract) => contract.CustomerId))];
    const [customers, catalogue] = await Promise.all([
      Promise.all(customerIds.map((id) => get<Customer>(`/customers/${encodeURIComponent(id)}`))),
      get<ProductInfo>('/productInfo'),
    ]);
    const customerById = new Map(customers.map((customer) => [customer.Id, customer]));
    const variants = new Map((catalogue.PlanVariants ?? []).map((variant) => [variant.Id, variant]));
    const plans = new Map((catalogue.Plans ?? []).map((plan) => [plan.Id, plan]));
    const groups = new Map((catalogue.PlanGroups ?? []).map((group) => [group.Id, group]));

    const edges = contracts.map((contract) => {
      const customer = customerById.get(contract.CustomerId);
      const personal = [customer?.FirstName, customer?.LastName].filter(Boolean).join(' ');
      const variantId = contract.PlanVariantId ?? contract.CurrentPhase?.PlanVariantId;
      const variant = variantId ? variants.get(variantId) : undefined;
      const plan = variant ? plans.get(variant.PlanId) : undefined;
      return {
        node: {
          id: `gid://billwerk/Contract/${contract.Id}`,
          status: enumName(contract.LifecycleStatus),
          customer: customer && {
            id: `gid://billwerk/Customer/${customer.Id}`,
            displayName:
              customer.CompanyName ||
              customer.CustomerName ||
              personal ||
              customer.EmailAddress ||
              customer.Id,
          },
          planVariant: variant
            ? {
                id: `gid://billwerk/PlanVariant/${variant.Id}`,
                name: variant.InternalName,
                recurringFee: {
                  amount: Number(variant.RecurringFee ?? 0),
                  currency: groups.get(variant.PlanGroupId)?.Currency ?? null,
                },
                plan: plan ? { name: plan.Name._c ?? null } : null,
              }
            : null,
        },
      };
    });
    return { data: { contracts: { edges } } };
  });

  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await agent.close();
    },
  };
}
