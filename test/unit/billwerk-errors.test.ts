import {
  AuthenticationError,
  BillwerkError,
  ConflictError,
  errorFromResponse,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  parseRetryAfterMs,
  RateLimitedError,
  redact,
  redactPath,
  registerSecret,
  TimeoutError,
  UpstreamError,
  ValidationError,
  type FailedResponse,
} from '../../src/billwerk/errors.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function failed(status: number, body: unknown = { Message: 'nope' }, extra: Partial<FailedResponse> = {}) {
  return errorFromResponse({
    method: 'GET',
    path: '/customers/645b429bb73d36f442b223db',
    status,
    headers: {},
    bodyText: typeof body === 'string' ? body : JSON.stringify(body),
    endpoint: 'api',
    nowMs: NOW,
    ...extra,
  });
}

describe('errorFromResponse maps each status to one class', () => {
  it.each([
    [400, ValidationError, 'VALIDATION'],
    [401, AuthenticationError, 'AUTHENTICATION'],
    [403, ForbiddenError, 'FORBIDDEN'],
    [404, NotFoundError, 'NOT_FOUND'],
    [409, ConflictError, 'CONFLICT'],
    [412, ConflictError, 'CONFLICT'],
    [422, ValidationError, 'VALIDATION'],
    [429, RateLimitedError, 'RATE_LIMITED'],
    [500, UpstreamError, 'UPSTREAM'],
    [502, UpstreamError, 'UPSTREAM'],
    [503, UpstreamError, 'UPSTREAM'],
    [504, UpstreamError, 'UPSTREAM'],
  ] as const)('%i → %s', (status, cls, code) => {
    const error = failed(status);
    expect(error).toBeInstanceOf(cls);
    expect(error).toBeInstanceOf(BillwerkError);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.method).toBe('GET');
    expect(error.path).toBe('/customers/645b429bb73d36f442b223db');
    expect(error.name).toBe(cls.name);
  });

  it('an unlisted status is a plain BillwerkError', () => {
    const error = failed(405);
    expect(error.constructor).toBe(BillwerkError);
    expect(error.code).toBe('UNEXPECTED');
  });

  it('reads the legacy 403 "rate limit exceeded" (JSON or plain text) as rate limiting', () => {
    expect(failed(403, { Message: 'Rate limit exceeded' })).toBeInstanceOf(RateLimitedError);
    expect(failed(403, 'login attempts exceeded')).toBeInstanceOf(RateLimitedError);
    expect(failed(403, { Message: 'Not your legal entity' })).toBeInstanceOf(ForbiddenError);
  });

  it('keeps billwerk Message and ErrorCode on a ValidationError', () => {
    const error = failed(422, { ErrorCode: 'InvalidCouponCode', ErrorMessage: 'Coupon unknown' });
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errorCode).toBe('InvalidCouponCode');
    expect(error.billwerkMessage).toBe('Coupon unknown');
    expect(error.message).toContain('Coupon unknown');
  });

  it('token-endpoint refusals mean bad client credentials', () => {
    for (const status of [400, 401, 403]) {
      const error = failed(status, { error: 'invalid_client' }, { endpoint: 'token', path: '/oauth/token' });
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toMatch(/client credentials/);
    }
  });

  it('carries the request id when billwerk sends one', () => {
    expect(failed(404, {}, { headers: { 'x-request-id': 'req-42' } }).requestId).toBe('req-42');
    expect(failed(404).requestId).toBeUndefined();
  });

  it('carries Retry-After on a RateLimitedError', () => {
    const error = failed(429, {}, { headers: { 'retry-after': '3' } });
    expect((error as RateLimitedError).retryAfterMs).toBe(3000);
  });

  it('never copies the body beyond billwerk Message, and truncates that', () => {
    const error = failed(500, { Message: 'x'.repeat(1000), Internal: 'stack trace at Foo.cs:12' });
    expect(error.message).not.toContain('Foo.cs');
    expect(error.billwerkMessage!.length).toBeLessThanOrEqual(300);
    expect(failed(500, '<html>Internal stack trace</html>').message).not.toContain('stack trace');
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('0', NOW)).toBe(0);
    expect(parseRetryAfterMs('7', NOW)).toBe(7000);
    expect(parseRetryAfterMs(' 2 ', NOW)).toBe(2000);
    expect(parseRetryAfterMs('1.5', NOW)).toBe(1500);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfterMs('Wed, 01 May 2024 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfterMs('Wed, 01 May 2024 11:00:00 GMT', NOW)).toBe(0);
  });

  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfterMs(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfterMs('soon', NOW)).toBeUndefined();
    expect(parseRetryAfterMs('-5', NOW)).toBeUndefined();
  });
});

describe('redaction inside the error classes', () => {
  it('masks credential-shaped text in messages and paths', () => {
    expect(redact('Authorization: Bearer abc.def-123')).not.toContain('abc.def-123');
    expect(redact('sent Basic dXNlcjpwYXNz')).not.toContain('dXNlcjpwYXNz');
    expect(redact('{"client_secret":"hunter22"}')).not.toContain('hunter22');
    expect(redactPath('/customers?access_token=tok123456&search=ada')).toBe(
      '/customers?access_token=[redacted]&search=ada',
    );
  });

  it('masks registered literal secrets wherever they appear', () => {
    registerSecret('opaque-token-987654');
    const error = failed(401, { Message: 'token opaque-token-987654 is revoked' });
    expect(error.message).not.toContain('opaque-token-987654');
    expect(error.billwerkMessage).not.toContain('opaque-token-987654');
  });

  it('redacts a query access_token in the path an error stores', () => {
    const error = new TimeoutError('slow', { method: 'GET', path: '/contracts?access_token=abcdef123' });
    expect(error.path).not.toContain('abcdef123');
    expect(error.message).not.toContain('abcdef123');
    expect(new NetworkError('down', { method: 'GET', path: '/x', detail: 'ECONNREFUSED' }).message).toContain(
      'ECONNREFUSED',
    );
  });
});
