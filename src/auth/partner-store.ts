// Customers that partners signed up through the gateway: their scope grows by them. A table in the
// gateway's SQLite database (or Redis with several instances, redis-partner-store.ts), mirrored in memory
// because event fan-out asks on every event.
import { parseBillwerkId, type BillwerkId } from '../billwerk/id.js';
import { type SqliteDatabase } from '../store/database.js';

export interface PartnerStore {
  /** Adds a customer to a partner's scope (idempotent, durable before it returns). */
  add(partnerId: string, customerId: BillwerkId): Promise<void>;
  has(partnerId: string, customerId: string): boolean;
  /** The customers a partner signed up, oldest first. */
  customersOf(partnerId: string): readonly BillwerkId[];
}

export function createPartnerStore(db: SqliteDatabase): PartnerStore {
  db.exec(`CREATE TABLE IF NOT EXISTS partner_customers (
    partner_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (partner_id, customer_id)
  )`);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO partner_customers (partner_id, customer_id, added_at) VALUES (?, ?, ?)',
  );
  const all = db.prepare('SELECT partner_id, customer_id FROM partner_customers ORDER BY rowid');
  const byPartner = new Map<string, Set<BillwerkId>>();
  const remember = (partnerId: string, customerId: BillwerkId) => {
    let set = byPartner.get(partnerId);
    if (!set) byPartner.set(partnerId, (set = new Set()));
    set.add(customerId);
  };
  for (const row of all.all() as { partner_id: string; customer_id: unknown }[]) {
    const customerId = parseBillwerkId(row.customer_id);
    if (customerId !== undefined) remember(row.partner_id, customerId);
  }
  return {
    add(partnerId, customerId) {
      if (!byPartner.get(partnerId)?.has(customerId)) {
        insert.run(partnerId, customerId, new Date().toISOString());
        remember(partnerId, customerId);
      }
      return Promise.resolve();
    },
    has: (partnerId, customerId) =>
      (byPartner.get(partnerId) as ReadonlySet<string> | undefined)?.has(customerId) ?? false,
    customersOf: (partnerId) => [...(byPartner.get(partnerId) ?? [])],
  };
}
