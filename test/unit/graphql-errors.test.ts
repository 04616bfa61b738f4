import { GraphQLError } from 'graphql';
import {
  NetworkError,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from '../../src/billwerk/errors.js';
import { ErrorCode, formatError, GatewayError } from '../../src/graphql/errors.js';
import { billwerkIdOf, fromGlobalId, toGlobalId } from '../../src/graphql/relay/node.js';

const init = { method: 'GET', path: '/contracts/1', status: 500 };

function format(original: unknown) {
  const error = new GraphQLError('raw message', { path: ['contract'], originalError: original as Error });
  return formatError({ message: error.message, path: ['contract'] }, error);
}

describe('error mapping', () => {
  it.each([
    [new NotFoundError('x', { ...init, status: 404 }), ErrorCode.NOT_FOUND],
    [
      new ValidationError('x', { ...init, status: 422, billwerkMessage: 'EndDate must be after StartDate' }),
      ErrorCode.BAD_USER_INPUT,
    ],
    [new RateLimitedError('x', { ...init, status: 429, retryAfterMs: 2000 }), ErrorCode.RATE_LIMITED],
    [new UpstreamError('x', { ...init, status: 500 }), ErrorCode.UPSTREAM_ERROR],
    [new UpstreamError('x', { ...init, status: 503 }), ErrorCode.UPSTREAM_UNAVAILABLE],
    [new TimeoutError('x', { method: 'GET', path: '/x' }), ErrorCode.UPSTREAM_UNAVAILABLE],
    [new NetworkError('x', { method: 'GET', path: '/x' }), ErrorCode.UPSTREAM_UNAVAILABLE],
    [new GatewayError(ErrorCode.FORBIDDEN, 'no'), ErrorCode.FORBIDDEN],
    [new Error('database password=hunter2 at /srv/app.js:12'), ErrorCode.INTERNAL_SERVER_ERROR],
  ])('%s → %s, keeping the path', (original, code) => {
    const formatted = format(original);
    expect(formatted.extensions?.code).toBe(code);
    expect(formatted.path).toEqual(['contract']);
  });

  it('never shows internals of unknown errors or upstream failures', () => {
    expect(format(new Error('password=hunter2')).message).toBe('Internal server error.');
    const upstream = format(new UpstreamError('x', { ...init, billwerkMessage: 'stack trace at Foo.Bar()' }));
    expect(upstream.message).not.toContain('Foo.Bar');
  });

  it("keeps billwerk's validation message, which describes the caller's input", () => {
    const formatted = format(
      new ValidationError('x', { ...init, status: 422, billwerkMessage: 'EndDate must be after StartDate' }),
    );
    expect(formatted.message).toContain('EndDate must be after StartDate');
  });

  it('passes a retry hint with RATE_LIMITED', () => {
    expect(
      format(new RateLimitedError('x', { ...init, status: 429, retryAfterMs: 2000 })).extensions,
    ).toMatchObject({
      retryAfterMs: 2000,
    });
  });
});

describe('global ids', () => {
  it('round-trip and accept plain billwerk ids', () => {
    const gid = toGlobalId('Contract', '645b429bb73d36f442b223df');
    expect(gid).toBe('gid://billwerk/Contract/645b429bb73d36f442b223df');
    expect(fromGlobalId(gid)).toEqual({ type: 'Contract', id: '645b429bb73d36f442b223df' });
    expect(billwerkIdOf('Contract', gid)).toBe('645b429bb73d36f442b223df');
    expect(billwerkIdOf('Contract', '645b429bb73d36f442b223df')).toBe('645b429bb73d36f442b223df');
  });

  it('refuse an id of another type or a malformed one with BAD_USER_INPUT', () => {
    expect(() => billwerkIdOf('Contract', toGlobalId('Customer', '645b429bb73d36f442b223df'))).toThrow(
      /names a Customer/,
    );
    expect(() => billwerkIdOf('Contract', '../../oauth')).toThrow(GatewayError);
    expect(() => billwerkIdOf('Contract', toGlobalId('Contract', '..'))).toThrow(GatewayError);
    expect(fromGlobalId('gid://billwerk/Nope/1')).toBeNull();
  });
});
