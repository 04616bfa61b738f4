// POST /webhooks/billwerk[/<token>]: authenticate, validate, store durably, answer 2xx, then hand the
// event to the pipeline. Nothing is stored for a refused call, and nothing is acknowledged unstored.
import {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HookHandlerDoneFunction,
} from 'fastify';
import { dedupeKey, mayRepeat, parseNotice, type ParsedNotice } from '../events/notice.js';
import { type EventLog } from '../events/event-log.js';
import { type Logger } from '../logger.js';
import { checkWebhookAuth, WEBHOOK_UNAUTHORIZED, type WebhookCredentials } from './auth.js';
import { createRefusalLog, type RefusalLog } from './refusals.js';

export const WEBHOOK_PATH = '/webhooks/billwerk';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

interface Token {
  token?: string;
}

export interface WebhookRouteOptions {
  credentials: WebhookCredentials;
  maxBodyBytes: number;
  log: EventLog;
  /**
   * Called once per stored (not duplicate) event after it is on disk: the embedded log hands it to the
   * pipeline; with Redis the instance holding the enrichment lease reads it from the inbox instead.
   */
  onStored?: (seq: number, notice: ParsedNotice) => void;
  logger: Logger;
  now?: () => Date;
  /** Called once per stored (not duplicate) event; for metrics. */
  onReceived?: (outcome: 'stored' | 'duplicate' | 'rejected' | 'failed') => void;
}

/** billwerk's retry counter; absent on the first attempt (webhooks.md "Delivery"). */
function retryCount(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  const n = value === undefined ? 0 : Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** What the route's hook and handler share. */
interface Ingestion {
  readonly options: WebhookRouteOptions;
  readonly now: () => Date;
  readonly count: NonNullable<WebhookRouteOptions['onReceived']>;
  // An outage of the store refuses every webhook: it is logged as one, not once per webhook.
  readonly refusals: RefusalLog;
}

export function registerWebhookRoute(app: FastifyInstance, options: WebhookRouteOptions): void {
  const ingestion: Ingestion = {
    options,
    now: options.now ?? (() => new Date()),
    count: options.onReceived ?? (() => undefined),
    refusals: createRefusalLog({ logger: options.logger }),
  };
  if (!options.credentials.basicAuth && options.credentials.pathToken === undefined) {
    throw new Error('The webhook endpoint needs WEBHOOK_BASIC_AUTH or WEBHOOK_PATH_TOKEN');
  }
  const handlerOptions = {
    bodyLimit: options.maxBodyBytes,
    // Authenticate before the body is read or parsed: an unauthenticated caller costs nothing.
    onRequest: checkBeforeBody(ingestion),
  };
  const handler = storeThenAnswer(ingestion);
  app.post<{ Params: Token }>(WEBHOOK_PATH, handlerOptions, handler);
  app.post<{ Params: Token }>(`${WEBHOOK_PATH}/:token`, handlerOptions, handler);
}

/** The `onRequest` hook: credentials and content type, checked before the body is read. */
function checkBeforeBody({ options, count }: Ingestion) {
  return (request: FastifyRequest<{ Params: Token }>, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const authorized = checkWebhookAuth(options.credentials, {
      authorization: request.headers.authorization,
      pathToken: request.params.token,
    });
    if (!authorized) {
      count('rejected');
      reply.code(401).send(WEBHOOK_UNAUTHORIZED);
      return;
    }
    // billwerk posts JSON only; refusing other types here keeps Fastify's text parser out of the way.
    if (!JSON_TYPE.test(request.headers['content-type'] ?? '')) {
      count('rejected');
      reply
        .code(415)
        .send({ error: 'Unsupported Media Type', message: 'send Content-Type: application/json' });
      return;
    }
    done();
  };
}

/** The handler: the notice parsed, stored durably, then answered (and handed to the pipeline). */
function storeThenAnswer({ options, now, count, refusals }: Ingestion) {
  const { log, logger } = options;
  return async (request: FastifyRequest<{ Params: Token }>, reply: FastifyReply) => {
    const parsed = parseNotice(request.body);
    if (!parsed.ok) {
      count('rejected');
      return reply.code(400).send({ error: 'Bad Request', message: parsed.reason });
    }
    const { notice } = parsed;
    const retries = retryCount(request.headers['x-retry-count']);
    // Outside the try below: 503 is for a store that failed, never for a notice (parseNotice bounds it).
    const appendOptions = {
      dedupeKey: dedupeKey(notice),
      mayRepeat: mayRepeat(notice, retries),
      receivedAt: now(),
    };
    let result;
    try {
      // Durable before the answer: the row is on disk (synchronous = FULL) or in Redis' fsynced AOF.
      result = await log.append(notice, appendOptions);
    } catch (error) {
      count('failed');
      refusals.refused(error, notice.event);
      return reply
        .code(503)
        .send({ error: 'Service Unavailable', message: 'the event could not be stored; retry later' });
    }
    refusals.stored();
    if (!result.stored) {
      count('duplicate');
      logger.debug(
        { event: notice.event, duplicateOf: result.duplicateOf, retries },
        'duplicate webhook dropped',
      );
      return reply.code(200).send({ status: 'duplicate' });
    }
    count('stored');
    options.onStored?.(result.seq, notice);
    return reply.code(202).send({ status: 'stored' });
  };
}
