// The EventLog contract against the embedded SQLite log (a file in a temporary folder).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSqliteEventLog } from '../../src/events/sqlite-event-log.js';
import { openDatabase } from '../../src/store/database.js';
import { describeEventLogContract } from './event-log.contract.js';

let dir: string | undefined;
const file = () => path.join(dir!, 'events.db');

describeEventLogContract('SQLite', {
  open: () => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-'));
    return Promise.resolve(createSqliteEventLog(openDatabase({ file: file() })));
  },
  reopen: () => Promise.resolve(createSqliteEventLog(openDatabase({ file: file() }))),
  cleanup: () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
    return Promise.resolve();
  },
});
