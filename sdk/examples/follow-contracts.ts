// Runnable example: follow contract changes, printing each once, across network drops, gateway restarts
// and restarts of this script (the cursor is kept in a file).
//
//   npm run example:follow -- http://127.0.0.1:4000/graphql <api key> [contract id] [--sse]
//
// With --sse it follows over Server-Sent Events (/graphql/stream) instead of a WebSocket.
//
// Stop it, change something (or restart the gateway), start it again: it prints what it missed first.
import { readFileSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { ContractChangesDocument, createResumableSubscriber, type CursorStore } from '../client.js';

const args = process.argv.slice(2).filter((arg) => arg !== '--sse');
const transport = process.argv.includes('--sse') ? 'sse' : 'ws';
const [url = 'http://127.0.0.1:4000/graphql', key, contractId] = args;
if (!key) {
  console.error('usage: npm run example:follow -- <graphql url> <api key> [contract id] [--sse]');
  process.exit(2);
}

/** Cursors in a JSON file next to the script's working directory: survives restarts of this process. */
function fileCursorStore(file: string): CursorStore {
  const read = (): Record<string, string> => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  return {
    get: (name) => read()[name],
    set: (name, cursor) => writeFileSync(file, JSON.stringify({ ...read(), [name]: cursor })),
  };
}

const subscriber = createResumableSubscriber({
  url,
  transport,
  authorization: `Bearer ${key}`,
  webSocketImpl: WebSocket,
  cursors: fileCursorStore('.follow-contracts.cursor.json'),
  onStatus: (status) => console.error(`[${status}]`),
});

subscriber.subscribe(
  ContractChangesDocument,
  { contractId },
  {
    next: ({ contractChanged: e }) => {
      const plan = e.contract?.planVariant?.name ?? '?';
      console.log(
        `${e.receivedAt} ${e.event} ${e.changeType ?? ''} contract ${e.contractId ?? '-'} (${plan})`,
      );
    },
    error: (error) => {
      console.error('subscription ended:', error);
      process.exit(1);
    },
  },
  { key: `contracts:${contractId ?? 'all'}` },
);

process.on('SIGINT', () => void subscriber.dispose().then(() => process.exit(0)));
