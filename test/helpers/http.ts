// Raw HTTP against a running gateway, for what the SDK does not send or does not show: a GraphQL POST with its
// status, headers, data and errors; a webhook POST; the GraphQL errors of a failed SDK call; and the REST calls
// the emulator answered (the upstream calls a request cost).
import { ClientError } from 'graphql-request';
import { type Emulator } from '../../src/emulator/emulator.js';
import { bearer } from './auth.js';

export interface GraphQLErrorShape {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** What the gateway answered to a GraphQL POST, whatever it was. */
export interface GraphQLAnswer<Data = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: Data | null;
  /** The response's `errors`, `[]` when there are none (or the body is not JSON). */
  errors: GraphQLErrorShape[];
  /** `extensions.code` of each error, in order. */
  codes: (string | undefined)[];
}

export interface GraphQLPostOptions {
  /** Sent as `authorization: Bearer <credential>`. @default no authorization header */
  credential?: string;
  /** More headers (an `authorization` here wins over `credential`). */
  headers?: Record<string, string>;
}

/** POSTs a GraphQL request body (`query`, `variables`, `extensions`, …) to `url` as JSON. */
export async function postGraphQL<Data = Record<string, unknown>>(
  url: string,
  body: Record<string, unknown>,
  options: GraphQLPostOptions = {},
): Promise<GraphQLAnswer<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.credential === undefined ? {} : { authorization: bearer(options.credential) }),
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: { data?: Data | null; errors?: GraphQLErrorShape[] } = {};
  try {
    json = text ? (JSON.parse(text) as typeof json) : {};
  } catch {
    // Not JSON (a plain-text refusal): status and headers say what happened.
  }
  const errors = json.errors ?? [];
  return {
    status: response.status,
    headers: response.headers,
    data: json.data,
    errors,
    codes: errors.map((error) => error.extensions?.code),
  };
}

/** `query` with `variables`, as `postGraphQL` sends it. */
export const postQuery = <Data = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: GraphQLPostOptions = {},
) => postGraphQL<Data>(url, { query, variables }, options);

export interface WebhookPostOptions {
  /** HTTP Basic credentials. @default none */
  auth?: { user: string; password: string };
  /** More headers, e.g. `x-retry-count`. */
  headers?: Record<string, string>;
}

/** POSTs a notice to a webhook endpoint (`url` is the whole endpoint, path token included). */
export async function postWebhook(
  url: string,
  notice: unknown,
  options: WebhookPostOptions = {},
): Promise<{ status: number; body: unknown }> {
  const { auth } = options;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(auth
        ? { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` }
        : {}),
      ...options.headers,
    },
    body: JSON.stringify(notice),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** The rejection of an SDK call that must fail: its GraphQL errors and whatever data came with them. */
export async function failureOf(
  call: Promise<unknown>,
): Promise<{ errors: GraphQLErrorShape[]; data: unknown }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ClientError) {
      return { errors: error.response.errors ?? [], data: error.response.data };
    }
    throw error;
  }
  throw new Error('expected the operation to fail');
}

/** The GraphQL errors of an SDK call that must fail. */
export const errorsOf = async (call: Promise<unknown>): Promise<GraphQLErrorShape[]> =>
  (await failureOf(call)).errors;

/** REST calls under /api/v1 the emulator answered since its log was last reset (OAuth is not a data call). */
export const apiCalls = (stack: { emulator: Emulator }): number =>
  stack.emulator.requests.count({ path: /^\/api\/v1\// });
