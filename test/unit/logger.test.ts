// The log format choice and what each format writes.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { chooseLogFormat, createLogger } from '../../src/logger.js';

function collect() {
  const chunks: string[] = [];
  return { chunks, stream: { write: (chunk: string) => void chunks.push(chunk) } };
}

describe('log format', () => {
  it('is pretty only in development on a terminal unless LOG_FORMAT says otherwise', () => {
    expect(chooseLogFormat(undefined, false, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false, false)).toBe('json');
    expect(chooseLogFormat(undefined, true, true)).toBe('json');
    expect(chooseLogFormat('json', false, true)).toBe('json');
    expect(chooseLogFormat('pretty', true, false)).toBe('pretty');
  });

  it('reads LOG_FORMAT and the OTLP endpoint from the environment', () => {
    expect(loadConfig({}).logFormat).toBeUndefined();
    expect(loadConfig({}).tracing).toBeUndefined();
    const config = loadConfig({
      LOG_FORMAT: 'pretty',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    });
    expect(config.logFormat).toBe('pretty');
    expect(config.tracing).toEqual({
      endpoint: 'http://collector:4318',
      serviceName: 'billwerk-graphql-gateway',
    });
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });

  it('json writes one object a line with secrets censored', () => {
    const { chunks, stream } = collect();
    createLogger({ level: 'info', destination: stream }).info({ clientSecret: 's3cret', op: 'x' }, 'hello');
    expect(JSON.parse(chunks.join(''))).toMatchObject({ msg: 'hello', op: 'x', clientSecret: '[redacted]' });
  });

  it('pretty writes a readable line, still censored', async () => {
    const out = new PassThrough();
    const written = once(out, 'data');
    createLogger({ level: 'info', format: 'pretty', destination: out }).info({ password: 'pw-123' }, 'hello');
    const text = String((await written)[0]);
    expect(text).toMatch(/INFO.*hello/);
    expect(text).not.toContain('pw-123');
    expect(() => JSON.parse(text) as unknown).toThrow();
  });
});
