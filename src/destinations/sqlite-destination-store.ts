// The DestinationStore on the embedded SQLite database: destinations as parsed JSON records, deliveries as
// rows (state, schedule, outcome) with their bodies, so a restart, even after kill -9, resumes every delivery.
import { type SqliteDatabase } from '../store/database.js';
import {
  deliverySchema,
  destinationSchema,
  type AttemptRecord,
  type DeliveryPageQuery,
  type DeliveryRecord,
  type DestinationPatch,
  type DestinationStore,
} from './destination.js';
import { settle } from '../store/settle.js';

interface DeliveryRow {
  destination_id: string;
  seq: number;
  order_key: string;
  state: string;
  attempts: number;
  next_attempt_at: number | null;
  first_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

const COLUMNS = `destination_id, seq, order_key, state, attempts, next_attempt_at, first_attempt_at,
  last_status, last_error, created_at, delivered_at`;

const fromRow = (row: DeliveryRow): DeliveryRecord =>
  deliverySchema.parse({
    destinationId: row.destination_id,
    seq: row.seq,
    orderKey: row.order_key,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    firstAttemptAt: row.first_attempt_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  });

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS event_destinations (
    id         TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL,
    record     TEXT    NOT NULL
  );
  CREATE TABLE IF NOT EXISTS event_deliveries (
    destination_id   TEXT    NOT NULL REFERENCES event_destinations (id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    order_key        TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failing', 'dead')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    first_attempt_at INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER,
    body             TEXT    NOT NULL,
    PRIMARY KEY (destination_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS event_deliveries_open
    ON event_deliveries (destination_id, seq) WHERE state IN ('pending', 'failing');
  CREATE INDEX IF NOT EXISTS event_deliveries_event ON event_deliveries (seq);
  CREATE INDEX IF NOT EXISTS event_deliveries_created ON event_deliveries (created_at);
`;

/** The statements the store runs, prepared once. */
function prepareStatements(db: SqliteDatabase) {
  return {
    selectOne: db.prepare<[string], { record: string }>('SELECT record FROM event_destinations WHERE id = ?'),
    selectAll: db.prepare<[], { record: string }>(
      'SELECT record FROM event_destinations ORDER BY created_at, id',
    ),
    insert: db.prepare('INSERT INTO event_destinations (id, created_at, record) VALUES (?, ?, ?)'),
    save: db.prepare<[string, string]>('UPDATE event_destinations SET record = ? WHERE id = ?'),
    remove: db.prepare<[string]>('DELETE FROM event_destinations WHERE id = ?'),
    insertDelivery: db.prepare(
      `INSERT OR IGNORE INTO event_deliveries (${COLUMNS}, body)
       VALUES (@destinationId, @seq, @orderKey, @state, @attempts, @nextAttemptAt, @firstAttemptAt,
               @lastStatus, @lastError, @createdAt, @deliveredAt, @body)`,
    ),
    selectPending: db.prepare<[string, number], DeliveryRow>(
      `SELECT ${COLUMNS} FROM event_deliveries
        WHERE destination_id = ? AND state IN ('pending', 'failing') ORDER BY seq LIMIT ?`,
    ),
    selectBody: db.prepare<[string, number], { body: string }>(
      'SELECT body FROM event_deliveries WHERE destination_id = ? AND seq = ?',
    ),
    updateDelivery: db.prepare(
      `UPDATE event_deliveries
          SET state = @state, attempts = @attempts, next_attempt_at = @nextAttemptAt,
              first_attempt_at = @firstAttemptAt, last_status = @lastStatus, last_error = @lastError,
              delivered_at = @deliveredAt
        WHERE destination_id = @destinationId AND seq = @seq`,
    ),
    selectPage: db.prepare<[string, number, string | null, string | null, number], DeliveryRow>(
      `SELECT ${COLUMNS} FROM event_deliveries
        WHERE destination_id = ? AND seq > ? AND (? IS NULL OR state = ?) ORDER BY seq LIMIT ?`,
    ),
    selectOfEvent: db.prepare<[number], DeliveryRow>(
      `SELECT ${COLUMNS} FROM event_deliveries WHERE seq = ? ORDER BY destination_id`,
    ),
    reopen: db.prepare<[number, string, number, number]>(
      `UPDATE event_deliveries SET state = 'pending', next_attempt_at = ?, first_attempt_at = NULL
        WHERE destination_id = ? AND seq BETWEEN ? AND ?`,
    ),
    countOpen: db.prepare<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM event_deliveries WHERE destination_id = ? AND state IN ('pending', 'failing')`,
    ),
    pruneStep: db.prepare<[number]>(
      `DELETE FROM event_deliveries WHERE (destination_id, seq) IN (
         SELECT destination_id, seq FROM event_deliveries
          WHERE created_at < ? AND state IN ('delivered', 'dead') LIMIT 500)`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function readDestination({ selectOne }: Statements, id: string) {
  const row = selectOne.get(id);
  return row ? destinationSchema.parse(JSON.parse(row.record)) : undefined;
}

/** The writes that read the destination first, each one transaction. */
function prepareTransactions(db: SqliteDatabase, statements: Statements) {
  const { save, insertDelivery, updateDelivery } = statements;
  return {
    update: db.transaction((id: string, patch: DestinationPatch) => {
      const current = readDestination(statements, id);
      if (!current) return undefined;
      const next = { ...current, ...patch };
      save.run(JSON.stringify(next), id);
      return next;
    }),
    enqueue: db.transaction((delivery: DeliveryRecord, body: string) => {
      const current = readDestination(statements, delivery.destinationId);
      if (!current) return;
      insertDelivery.run({ ...delivery, body });
      if (delivery.seq > current.cursorSeq) {
        save.run(JSON.stringify({ ...current, cursorSeq: delivery.seq }), current.id);
      }
    }),
    record: db.transaction((destinationId: string, seq: number, attempt: AttemptRecord) => {
      updateDelivery.run({ destinationId, seq, ...attempt.delivery });
      const current = readDestination(statements, destinationId);
      if (current) save.run(JSON.stringify({ ...current, ...attempt.destination }), destinationId);
    }),
  };
}

/** Creates the tables, prepares the statements and transactions, and runs the operations on them. */
export function createSqliteDestinationStore(db: SqliteDatabase): DestinationStore {
  db.exec(SCHEMA);
  const statements = prepareStatements(db);
  const tx = prepareTransactions(db, statements);
  const {
    selectAll,
    insert,
    remove,
    selectPending,
    selectBody,
    selectPage,
    selectOfEvent,
    reopen,
    countOpen,
  } = statements;
  return {
    create: (record) => settle(() => void insert.run(record.id, record.createdAt, JSON.stringify(record))),
    get: (id) => settle(() => readDestination(statements, id)),
    list: () => settle(() => selectAll.all().map((row) => destinationSchema.parse(JSON.parse(row.record)))),
    update: (id, patch) => settle(() => tx.update(id, patch)),
    delete: (id) => settle(() => remove.run(id).changes > 0),
    enqueue: (delivery, body) => settle(() => tx.enqueue(delivery, body)),
    pending: (destinationId, limit) => settle(() => selectPending.all(destinationId, limit).map(fromRow)),
    body: (destinationId, seq) => settle(() => selectBody.get(destinationId, seq)?.body),
    record: (destinationId, seq, attempt) => settle(() => tx.record(destinationId, seq, attempt)),
    deliveries: (destinationId, query: DeliveryPageQuery) =>
      settle(() =>
        selectPage
          .all(destinationId, query.afterSeq ?? 0, query.state ?? null, query.state ?? null, query.first)
          .map(fromRow),
      ),
    deliveriesOfEvent: (seq) => settle(() => selectOfEvent.all(seq).map(fromRow)),
    redeliver: (destinationId, fromSeq, toSeq, now) =>
      settle(() => reopen.run(now, destinationId, fromSeq, toSeq).changes),
    backlog: (destinationId) => settle(() => countOpen.get(destinationId)?.n ?? 0),
    // In steps of 500 rows, so a large prune never holds the database for long.
    async prune(before) {
      let total = 0;
      for (;;) {
        const removed = await settle(() => statements.pruneStep.run(before).changes);
        total += removed;
        if (removed < 500) return total;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    close: () => Promise.resolve(),
  };
}
