// Child process: the floor the gateway's webhook endpoint is compared with. A plain Fastify handler that
// stores each request's body with one better-sqlite3 insert in WAL mode with synchronous = FULL (a disk
// flush per request, as "stored before 2xx" needs when every request commits alone) and answers 202.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { serveParent } from '../lib/child.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ingest-baseline-'));
const db = new Database(path.join(dir, 'baseline.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER, body TEXT)');
const insert = db.prepare('INSERT INTO events (received_at, body) VALUES (?, ?)');

const app = Fastify();
app.post('/webhooks/billwerk', async (request, reply) => {
  insert.run(Date.now(), JSON.stringify(request.body));
  return reply.code(202).send({ status: 'stored' });
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });

serveParent(url, {}, async () => {
  await app.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
