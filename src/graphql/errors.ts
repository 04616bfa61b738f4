// The public error codes and the one place `extensions.code` is set (Apollo's formatError hook).
// billwerk errors and gateway errors map to codes here; anything unknown becomes INTERNAL_SERVER_ERROR.
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AuthenticationError, ForbiddenError, OutOfScopeError } from '../auth/errors.js';
import { BillwerkError, RateLimitedError, ValidationError } from '../billwerk/errors.js';
import { DestinationError } from '../destinations/errors.js';
import { StoreUnavailableError } from '../idempotency/store.js';

/** Every code a client may see in `errors[].extensions.code`. */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  UPSTREAM_ERROR = 'UPSTREAM_ERROR',
  UPSTREAM_UNAVAILABLE = 'UPSTREAM_UNAVAILABLE',
  RATE_LIMITED = 'RATE_LIMITED',
  /** The caller may run only trusted documents (its API key is `trustedDocumentsOnly`), and this is not one. */
  OPERATION_NOT_ALLOWED = 'OPERATION_NOT_ALLOWED',
  /** The document is over a query limit (size, tokens, depth, aliases, directives or cost). */
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  /** The request cannot be served on this transport: a subscription sent over HTTP instead of graphql-ws. */
  BAD_REQUEST = 'BAD_REQUEST',
  /** The gateway is stopping (a deploy, a restart) and ended the stream: subscribe again with `after`. */
  SHUTTING_DOWN = 'SHUTTING_DOWN',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** An error the gateway raises on purpose; its message is written for the API's user. */
export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** Apollo's own codes (parse, validation, variable coercion) pass through unchanged. */
const APOLLO_CODES = new Set<string>([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

interface Mapped {
  code: ErrorCode;
  message: string;
  extensions?: Record<string, unknown>;
}

function fromBillwerk(error: BillwerkError): Mapped {
  switch (error.code) {
    case 'NOT_FOUND':
      return { code: ErrorCode.NOT_FOUND, message: 'Not found in billwerk.' };
    case 'VALIDATION': {
      // billwerk's Message describes the caller's own input, so it is worth showing; it is redacted
      // and truncated by the error class.
      const errorCode = error instanceof ValidationError ? error.errorCode : undefined;
      return {
        code: ErrorCode.BAD_USER_INPUT,
        message: error.billwerkMessage
          ? `billwerk rejected the input: ${error.billwerkMessage}`
          : 'billwerk rejected the input.',
        extensions: errorCode ? { billwerkErrorCode: errorCode } : undefined,
      };
    }
    case 'CONFLICT':
      return { code: ErrorCode.CONFLICT, message: 'billwerk reported a conflicting or stale update.' };
    case 'RATE_LIMITED': {
      const retryAfterMs = error instanceof RateLimitedError ? error.retryAfterMs : undefined;
      return {
        code: ErrorCode.RATE_LIMITED,
        message: 'billwerk is rate limiting the gateway; try again later.',
        extensions: retryAfterMs === undefined ? undefined : { retryAfterMs },
      };
    }
    case 'TIMEOUT':
    case 'NETWORK':
      return { code: ErrorCode.UPSTREAM_UNAVAILABLE, message: 'billwerk is not reachable right now.' };
    case 'UPSTREAM':
      return error.status === 503
        ? { code: ErrorCode.UPSTREAM_UNAVAILABLE, message: 'billwerk is not reachable right now.' }
        : { code: ErrorCode.UPSTREAM_ERROR, message: 'billwerk failed to answer the request.' };
    // The gateway's own credentials or permissions at billwerk are wrong: not the caller's fault.
    case 'AUTHENTICATION':
    case 'FORBIDDEN':
    case 'UNEXPECTED':
      return { code: ErrorCode.UPSTREAM_ERROR, message: 'billwerk failed to answer the request.' };
  }
}

function fromDestination(error: DestinationError): Mapped {
  switch (error.kind) {
    case 'invalid':
      return { code: ErrorCode.BAD_USER_INPUT, message: error.message, extensions: { field: error.field } };
    case 'not-found':
      return { code: ErrorCode.NOT_FOUND, message: error.message };
    case 'forbidden':
      return { code: ErrorCode.FORBIDDEN, message: error.message };
    case 'conflict':
      return { code: ErrorCode.CONFLICT, message: error.message };
  }
}

/** What a thrown value means to the API's user; unknown errors reveal nothing. */
export function mapError(error: unknown): Mapped {
  if (error instanceof GatewayError) {
    return { code: error.code, message: error.message, extensions: { ...error.extensions } };
  }
  if (error instanceof BillwerkError) return fromBillwerk(error);
  if (error instanceof DestinationError) return fromDestination(error);
  if (error instanceof StoreUnavailableError) {
    // Nothing reached billwerk: the same request with the same key is safe once the store is back.
    return {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      message: 'Idempotency keys cannot be checked right now; retry with the same key shortly.',
      extensions: { retryable: true },
    };
  }
  if (error instanceof AuthenticationError)
    return { code: ErrorCode.UNAUTHENTICATED, message: error.message };
  if (error instanceof ForbiddenError) {
    return {
      code: ErrorCode.FORBIDDEN,
      message: error.message,
      extensions: error.requiredRoles ? { requiredRoles: error.requiredRoles } : undefined,
    };
  }
  if (error instanceof OutOfScopeError) {
    // Worded and shaped exactly as `found()` reports a missing entity.
    return {
      code: ErrorCode.NOT_FOUND,
      message: error.message,
      extensions: { type: error.type, id: error.id },
    };
  }
  return { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error.' };
}

/** The gateway's typed errors, whose messages are written for the API's user (see mapError). */
export const isKnownError = (error: unknown): boolean =>
  error instanceof GatewayError ||
  error instanceof BillwerkError ||
  error instanceof AuthenticationError ||
  error instanceof ForbiddenError ||
  error instanceof OutOfScopeError ||
  error instanceof DestinationError ||
  error instanceof StoreUnavailableError;

/** For errors thrown outside resolvers (context creation, query limits): our error with its HTTP status. */
export function toGraphQLError(error: Error): GraphQLError {
  const { code } = mapError(error);
  const status =
    code === ErrorCode.UNAUTHENTICATED
      ? 401
      : code === ErrorCode.FORBIDDEN || code === ErrorCode.OPERATION_NOT_ALLOWED
        ? 403
        : code === ErrorCode.INTERNAL_SERVER_ERROR
          ? 500
          : 400;
  return new GraphQLError(error.message, { originalError: error, extensions: { http: { status } } });
}

/** Apollo Server's `formatError`: sets `extensions.code` and keeps `path` and `locations`. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  let original = unwrapResolverError(error);
  // Errors raised outside resolvers (context creation, query limits) arrive wrapped without a path.
  if (original instanceof GraphQLError && original.originalError) original = original.originalError;
  if (typeof code === 'string' && APOLLO_CODES.has(code) && !isKnownError(original)) {
    return formatted;
  }
  const mapped = mapError(original);
  return {
    message: mapped.message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { ...mapped.extensions, code: mapped.code },
  };
}

/**
 * graphql's "Did you mean …?" hints name the fields, types, arguments, enum values and input fields the
 * schema has. They end at the first "?" (the names they quote cannot hold one).
 */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

export interface ErrorFormatOptions {
  /** Keep graphql's "Did you mean …?" hints (FIELD_SUGGESTIONS; off in production). @default true */
  suggestions?: boolean;
}

/**
 * `formatError` for one mode. Without suggestions the hints are cut from every message that leaves, so a
 * caller with introspection off cannot rebuild the schema from misspellings: validation, variable
 * coercion and input objects (written or sent) alike, on HTTP and graphql-ws, which both format here.
 */
export function createFormatError(
  options: ErrorFormatOptions = {},
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  if (options.suggestions ?? true) return formatError;
  return (formatted, error) => {
    const result = formatError(formatted, error);
    const message = result.message.replace(SUGGESTION, '');
    return message === result.message ? result : { ...result, message };
  };
}

/**
 * Apollo's code for a refusal graphql-ws reports without Apollo (validation, variable coercion, operation
 * resolution), so both transports answer it alike. Made as Apollo makes its own: our typed errors inside
 * (a query limit) keep their code.
 */
export function withApolloCode(
  error: GraphQLError,
  code: 'GRAPHQL_VALIDATION_FAILED' | 'BAD_USER_INPUT' | 'OPERATION_RESOLUTION_FAILURE',
): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code },
  });
}
