// Registers the gateway's webhook URL with billwerk at start (POST /webhooks), once: an existing
// registration for the same URL is left as it is.
import { type BillwerkClient } from '../billwerk/client.js';
import { type WebhookAuth } from '../billwerk/dto.js';
import { type Logger } from '../logger.js';

export interface RegistrationOptions {
  url: string;
  /** Events to receive; empty = every event. */
  events: string[];
  /** Outgoing Basic auth; billwerk itself sets this in its admin UI, the emulator accepts it here. */
  auth?: WebhookAuth;
}

export async function ensureWebhookRegistered(
  client: BillwerkClient,
  options: RegistrationOptions,
  logger: Logger,
): Promise<'registered' | 'existing'> {
  const existing = await client.webhooks.list();
  // The URL may carry the secret path token: log its origin only.
  const origin = new URL(options.url).origin;
  if (existing.some((hook) => hook.Url === options.url)) {
    logger.info({ origin }, 'webhook already registered with billwerk');
    return 'existing';
  }
  await client.webhooks.register({
    Url: options.url,
    Events: options.events,
    ...(options.auth ? { Auth: options.auth } : {}),
  });
  logger.info({ origin, events: options.events.length || 'all' }, 'webhook registered with billwerk');
  return 'registered';
}
