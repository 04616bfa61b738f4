// Trusted documents: the operations the gateway's SDK registers (sdk/operations/*.graphql), known by hash.
// Any caller may send just a trusted operation's hash (Apollo's persisted-query extension) instead of its
// text; an API key marked `trustedDocumentsOnly` may run nothing else. Documents are compared in a
// canonical form (the operation, then the fragments it uses sorted by name, printed by graphql-js), so
// formatting and fragment order do not matter, while any change to what is selected does.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  visit,
} from 'graphql';
import { type FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import { ErrorCode, GatewayError } from '../graphql/errors.js';

export interface TrustedOperation {
  name: string;
  /** The canonical text; its SHA-256 (hex) is the operation's hash. */
  query: string;
  hash: string;
}

export interface TrustedDocuments {
  /** The canonical text of a trusted operation, by hash (for requests that send only the hash). */
  byHash(hash: string): TrustedOperation | undefined;
  /** Whether the document sent (with the operation name it picks, if several) is a trusted operation. */
  allows(query: string, operationName?: string | null): boolean;
  /** Every trusted operation: the manifest partners can pin. */
  readonly operations: readonly TrustedOperation[];
}

/** The refusal an allow-list key gets for any other document. */
export const notTrusted = () =>
  new GatewayError(
    ErrorCode.OPERATION_NOT_ALLOWED,
    'This API key may run only trusted documents (the operations of sdk/operations): send one of them, or its hash.',
  );

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The operation `operationName` picks (or the only one), with the fragments it spreads, canonically printed. */
export function canonicalOperation(
  document: DocumentNode,
  operationName?: string | null,
): { name: string; query: string } | undefined {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (!operation) return undefined;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const used = new Map<string, FragmentDefinitionNode>();
  const collect = (node: DefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          collect(fragment);
        }
      },
    });
  collect(operation);
  const sorted = [...used.values()].sort((a, b) => (a.name.value < b.name.value ? -1 : 1));
  const canonical: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...sorted] };
  return { name: operation.name?.value ?? '', query: print(canonical) };
}

/** Reads every operation of the `.graphql` files in `dir`; none when the folder does not exist. */
export function loadTrustedDocuments(dir: string): TrustedDocuments {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.graphql')) : [];
  const sources = files.map((f) => readFileSync(path.join(dir, f), 'utf8'));
  // Operations may use fragments defined in any of the files, as codegen allows.
  const all = sources.length > 0 ? parse(sources.join('\n')) : undefined;
  const operations: TrustedOperation[] = [];
  for (const definition of all?.definitions ?? []) {
    if (definition.kind !== Kind.OPERATION_DEFINITION || !definition.name) continue;
    const canonical = canonicalOperation(all!, definition.name.value);
    if (canonical) operations.push({ ...canonical, hash: sha256(canonical.query) });
  }
  const byHash = new Map(operations.map((o) => [o.hash, o]));
  // Verdicts per document text: a client sends the same few documents again and again.
  const verdicts = new LRUCache<string, boolean>({ max: 1000 });

  return {
    operations,
    byHash: (hash) => byHash.get(hash.toLowerCase()),
    allows(query, operationName) {
      const key = `${operationName ?? ''}\n${query}`;
      const cached = verdicts.get(key);
      if (cached !== undefined) return cached;
      let verdict = false;
      try {
        const canonical = canonicalOperation(parse(query), operationName);
        verdict = canonical !== undefined && byHash.has(sha256(canonical.query));
      } catch {
        verdict = false; // not even a document
      }
      verdicts.set(key, verdict);
      return verdict;
    },
  };
}

interface PersistedQueryBody {
  query?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } };
}

/**
 * A POST to /graphql that sends only the hash of a trusted operation gets that operation's text before
 * Apollo sees it; other hashes go on to Apollo's automatic persisted queries (register, then hit).
 */
export function registerTrustedDocuments(app: FastifyInstance, trusted: TrustedDocuments): void {
  app.addHook('preHandler', (request, _reply, done) => {
    // Most bodies carry their query: only those without one are looked at further.
    const body = request.body as PersistedQueryBody | undefined;
    if (body?.query === undefined && request.method === 'POST' && request.url.split('?')[0] === '/graphql') {
      const hash = body?.extensions?.persistedQuery?.sha256Hash;
      const operation = typeof hash === 'string' ? trusted.byHash(hash) : undefined;
      if (body && operation) body.query = operation.query;
    }
    done();
  });
}
