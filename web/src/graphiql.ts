// GraphiQL at /graphql for browsers, served by the gateway itself: no CDN, so it works offline and under the
// gateway's same-origin Content-Security-Policy. Queries and mutations go over HTTP, subscriptions over
// graphql-ws, all with the key of this tab; the SDK's operations open as example tabs.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './graphiql.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { byId } from './dom.js';
import { KEY_STORAGE, newIdempotencyKey, takeKey } from './key.js';

/** The SDK's documents (sdk/operations), one example tab each. */
const OPERATIONS = import.meta.glob<string>('../../sdk/operations/*.graphql', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** What a newcomer sees first, before the SDK's operations. */
const FIRST_TAB = `# Queries and mutations go over HTTP, subscriptions over graphql-ws, with the key of this tab.
# Every mutation gets a fresh Idempotency-Key header unless the Headers tab sets one.
# The SDK's operations (sdk/operations) are in the other tabs.
query ContractsPage {
  contracts(first: 10) {
    edges {
      node {
        id
        billwerkId
        status
        customer { displayName }
        planVariant { name recurringFee { amount currency } }
      }
    }
  }
}
`;

/**
 * fetch with a fresh Idempotency-Key on each request that carries none: the gateway refuses mutations without
 * one, and each Run in an IDE is a new intent (a retry of the same one would reuse the key in Headers).
 */
const fetchWithKey: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  if (!headers.has('idempotency-key')) headers.set('idempotency-key', newIdempotencyKey('graphiql'));
  return fetch(input, { ...init, headers });
};

function askForKey(): void {
  const form = byId<HTMLFormElement>('key-form');
  form.hidden = false;
  form.addEventListener('submit', (submit) => {
    submit.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, byId<HTMLInputElement>('key-input').value.trim());
    location.reload();
  });
}

function open(key: string): void {
  const authorization = `Bearer ${key}`;
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const fetcher = createGraphiQLFetcher({
    url: '/graphql',
    headers: { authorization },
    fetch: fetchWithKey,
    wsClient: createClient({ url: wsUrl, connectionParams: { authorization }, lazy: true }),
  });
  const examples = Object.entries(OPERATIONS)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, query]) => ({ query }));
  createRoot(byId('graphiql')).render(
    createElement(GraphiQL, {
      fetcher,
      defaultTabs: [{ query: FIRST_TAB }, ...examples],
      // The key is sent by the fetcher: it is never written into the Headers tab or its storage.
      shouldPersistHeaders: false,
    }),
  );
}

const key = takeKey();
if (key) open(key);
else askForKey();
