// The SQLite event log's writer thread for tests of its death: the real writer (from dist/, as the log takes
// it under jest), which exits at once, its writes unanswered and uncommitted, on a batch that sets the
// meta key `exit`. The writer handles each batch first (its listener is added first) and only queues
// the batch's writes for a commit on a later turn.
import process from 'node:process';
import { URL } from 'node:url';
import { parentPort } from 'node:worker_threads';

await import(new URL('../../dist/events/sqlite-event-writer.js', import.meta.url).href);
parentPort.on('message', (batch) => {
  if (batch.some((write) => write.op === 'setMeta' && write.key === 'exit')) process.exit(3);
});
