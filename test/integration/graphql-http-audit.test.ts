// The GraphQL-over-HTTP compliance audit of the graphql-http package, run against the real gateway with an
// API key. It must report no errors; its notices and warnings are listed in docs/security.md.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditServer, type AuditResult } from 'graphql-http';
import { bearer } from '../helpers/auth.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let results: AuditResult[];
beforeAll(async () => {
  stack = await startStack({ registerWebhook: false });
  // Credentials on every request. The audit's GET requests are simple requests, which CSRF prevention
  // refuses unless a preflight-forcing header is sent, as any real client of GET must.
  const fetchFn = (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', bearer(stack.adminKey));
    headers.set('apollo-require-preflight', 'true');
    return fetch(input, { ...init, headers });
  };
  results = await auditServer({ url: stack.graphqlUrl, fetchFn });
});
afterAll(() => stack.close());

const summary = (status: AuditResult['status']) =>
  results.filter((r) => r.status === status).map((r) => `${r.id} ${r.name}`);

describe('GraphQL over HTTP', () => {
  it('passes the graphql-http server audit with no errors', () => {
    expect(results.length).toBeGreaterThan(30);
    expect(summary('error')).toEqual([]);
  });

  it('leaves only the warnings and notices docs/security.md explains', () => {
    // Kept in step with the table in docs/security.md: Apollo Server answers a document it cannot parse,
    // validate or coerce variables for with 400, also to clients that accept only application/json.
    const ids = (status: AuditResult['status']) =>
      results.filter((r) => r.status === status).map((r) => r.id);
    expect(ids('warn').sort()).toEqual(['572B', '7B9B', 'FDE2']);
    expect(ids('notice')).toEqual([]);
  });
});
