// Webhooks refused because the store cannot take them (Redis down, the disk full): each one is answered
// 503 and counted in the metrics, but an outage is one story in the log, not a line per webhook. The first
// refusal is logged with its error; while they go on, one summary at most every `intervalMs` says how many
// were refused since the last line; the first webhook stored again ends the outage with the total.
import { type Logger } from '../logger.js';

export interface RefusalLog {
  /** A webhook could not be stored (it is answered 503). */
  refused(error: unknown, event: string): void;
  /** A webhook was stored (or found a duplicate): the store answers again. */
  stored(): void;
}

export interface RefusalLogOptions {
  logger: Logger;
  /** Least time between two lines about one outage. @default 30000 */
  intervalMs?: number;
  /** Wall clock, epoch ms. @default Date.now */
  now?: () => number;
}

export function createRefusalLog(options: RefusalLogOptions): RefusalLog {
  const { logger } = options;
  const intervalMs = options.intervalMs ?? 30_000;
  const now = options.now ?? Date.now;
  /** The outage under way: when it began, when it was last logged, what was refused in all and since. */
  let outage: { since: number; loggedAt: number; total: number; unlogged: number } | undefined;

  return {
    refused(error, event) {
      const at = now();
      if (!outage) {
        outage = { since: at, loggedAt: at, total: 1, unlogged: 0 };
        logger.error(
          { err: error, event },
          `could not store a webhook; billwerk will retry (further refusals: one line every ${Math.round(intervalMs / 1000)} s)`,
        );
        return;
      }
      outage.total += 1;
      outage.unlogged += 1;
      if (at - outage.loggedAt < intervalMs) return;
      logger.error(
        {
          err: error,
          refused: outage.unlogged,
          refusedInOutage: outage.total,
          outageMs: at - outage.since,
        },
        `webhooks still refused: ${outage.unlogged} more could not be stored; billwerk will retry`,
      );
      outage.loggedAt = at;
      outage.unlogged = 0;
    },
    stored() {
      if (!outage) return;
      logger.info(
        { refusedInOutage: outage.total, outageMs: now() - outage.since },
        `webhooks are stored again, after ${outage.total} were refused`,
      );
      outage = undefined;
    },
  };
}
