// Webhooks refused while the store is unreachable: one log line when the outage begins, a summary at
// most every interval while it lasts, one when the store takes webhooks again.
import { createLogger } from '../../src/logger.js';
import { createRefusalLog } from '../../src/webhooks/refusals.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

describe('the refusal log', () => {
  it('logs an outage once, then a summary at most every interval, then its end', () => {
    const { logger, lines } = capture();
    let clock = 0;
    const log = createRefusalLog({ logger, intervalMs: 30_000, now: () => clock });
    const down = new Error('Stream is not writeable');

    for (let i = 0; i < 200; i += 1) {
      log.refused(down, 'ContractChanged');
      clock += 100; // 20 s of refusals at 10 a second
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, event: 'ContractChanged', err: { message: down.message } });
    expect(lines[0]!.msg).toMatch(/^could not store a webhook; billwerk will retry/);

    for (let i = 0; i < 200; i += 1) {
      log.refused(down, 'ContractChanged');
      clock += 100;
    }
    // 30 s after the first line: one summary of what was refused since.
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 50, refused: 300, refusedInOutage: 301, outageMs: 30_000 });

    log.stored();
    log.stored();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ level: 30, refusedInOutage: 400 });
    expect(lines[2]!.msg).toBe('webhooks are stored again, after 400 were refused');

    // The next outage starts with its own first line.
    log.refused(down, 'CustomerChanged');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ level: 50, event: 'CustomerChanged' });
  });

  it('says nothing while webhooks are stored', () => {
    const { logger, lines } = capture();
    const log = createRefusalLog({ logger });
    for (let i = 0; i < 10; i += 1) log.stored();
    expect(lines).toEqual([]);
  });
});
