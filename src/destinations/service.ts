// Managing event destinations: who may (admin keys all, a partner key its own; readonly keys, customer
// tokens and anonymous callers none), what a destination may be (a safe URL, a valid subscription
// document), its signing secrets (shown once; a rotated-out one signs beside the new one for a day), and
// pausing, resuming and redelivering. The runner is told of each change so this instance acts at once.
import { randomUUID } from 'node:crypto';
import { type GraphQLSchema, type ValidationRule } from 'graphql';
import { AuthenticationError, ForbiddenError } from '../auth/errors.js';
import { hasRole, type Principal } from '../auth/principal.js';
import { type EventLog } from '../events/event-log.js';
import {
  type DeliveryPageQuery,
  type DeliveryRecord,
  type DestinationPatch,
  type DestinationRecord,
  type DestinationStore,
} from './destination.js';
import { compileDocument } from './document.js';
import { DestinationError } from './errors.js';
import { newSigningSecret } from './signer.js';
import { checkAddresses, parseDestinationUrl, type UrlPolicy } from './url-safety.js';

/** How long a rotated-out secret keeps signing beside the new one. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
/** Longest description kept. */
export const MAX_DESCRIPTION_LENGTH = 500;

export interface DestinationInput {
  url: string;
  query: string;
  variables?: Record<string, unknown> | null;
  description?: string | null;
}

export interface DestinationServiceOptions {
  store: DestinationStore;
  log: EventLog;
  policy: UrlPolicy;
  schema: GraphQLSchema;
  /** Validation rules beyond graphql's own (the query limits). */
  rules: readonly ValidationRule[];
  /** Whether the caller may run this document (keys limited to trusted documents). @default all */
  allowDocument?: (principal: Principal, query: string) => boolean;
  /** Called after every change, so the runner on this instance acts at once. */
  onChanged: (id: string) => void;
  /** Wall clock, epoch ms. @default Date.now */
  now?: () => number;
}

export interface WithSecret {
  destination: DestinationRecord;
  /** Shown once: at creation and at each rotation. */
  signingSecret: string;
}

export interface DestinationService {
  create(principal: Principal, input: DestinationInput): Promise<WithSecret>;
  /** The destinations the caller manages, oldest first. */
  list(principal: Principal): Promise<DestinationRecord[]>;
  /** Throws DestinationError (not-found) for a missing destination and for another partner's alike. */
  get(principal: Principal, id: string): Promise<DestinationRecord>;
  update(principal: Principal, id: string, input: Partial<DestinationInput>): Promise<DestinationRecord>;
  delete(principal: Principal, id: string): Promise<DestinationRecord>;
  rotateSecret(principal: Principal, id: string): Promise<WithSecret>;
  /** Pauses, or resumes (which also lifts a disable). */
  setPaused(principal: Principal, id: string, paused: boolean): Promise<DestinationRecord>;
  /** Sends the deliveries of events fromSeq..toSeq again; resolves how many. */
  redeliver(principal: Principal, id: string, fromSeq: number, toSeq: number): Promise<number>;
  deliveries(destination: DestinationRecord, query: DeliveryPageQuery): Promise<DeliveryRecord[]>;
  backlog(id: string): Promise<number>;
  /** Deliveries of one event across destinations (the operator's log). */
  deliveriesOfEvent(seq: number): Promise<DeliveryRecord[]>;
}

function assertMayManage(principal: Principal): void {
  if (hasRole(principal, 'admin') || (hasRole(principal, 'partner') && principal.scope.kind === 'partner'))
    return;
  if (principal.scope.kind === 'none')
    throw new AuthenticationError('Event destinations need an authenticated caller.');
  throw new ForbiddenError('Event destinations are managed with an admin or a partner key.', [
    'admin',
    'partner',
  ]);
}

const manages = (principal: Principal, destination: DestinationRecord) =>
  hasRole(principal, 'admin') || destination.ownerId === principal.id;

const notFound = (id: string) => new DestinationError('not-found', `Event destination ${id} was not found.`);

function descriptionOf(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value.trim() === '') return null;
  if (value.length > MAX_DESCRIPTION_LENGTH) {
    throw new DestinationError(
      'invalid',
      `description must be at most ${MAX_DESCRIPTION_LENGTH} characters.`,
      'description',
    );
  }
  return value;
}

/** What the service's operations share: its options and the clock. */
interface ServiceState {
  readonly options: DestinationServiceOptions;
  readonly now: () => number;
}

async function checkUrl({ options }: ServiceState, raw: string): Promise<string> {
  const url = parseDestinationUrl(raw, options.policy);
  await checkAddresses(url, options.policy);
  return url.href;
}

function checkDocument(
  { options }: ServiceState,
  principal: Principal,
  query: string,
  variables: Record<string, unknown> | null,
): void {
  compileDocument(options.schema, options.rules, query, variables);
  if (options.allowDocument && !options.allowDocument(principal, query)) {
    throw new DestinationError(
      'forbidden',
      'This key may use only trusted documents as a destination query.',
    );
  }
}

/** The destination, if the caller manages it; not-found alike for a missing one and another partner's. */
async function owned(
  { options }: ServiceState,
  principal: Principal,
  id: string,
): Promise<DestinationRecord> {
  assertMayManage(principal);
  const destination = await options.store.get(id);
  if (!destination || !manages(principal, destination)) throw notFound(id);
  return destination;
}

async function change(
  { options }: ServiceState,
  id: string,
  patch: DestinationPatch,
): Promise<DestinationRecord> {
  const updated = await options.store.update(id, patch);
  if (!updated) throw notFound(id);
  options.onChanged(id);
  return updated;
}

async function create(
  service: ServiceState,
  principal: Principal,
  input: DestinationInput,
): Promise<WithSecret> {
  const { options } = service;
  assertMayManage(principal);
  const variables = input.variables ?? null;
  checkDocument(service, principal, input.query, variables);
  const url = await checkUrl(service, input.url);
  const signingSecret = newSigningSecret();
  const destination: DestinationRecord = {
    id: randomUUID(),
    ownerId: principal.id,
    url,
    description: descriptionOf(input.description),
    query: input.query,
    variables,
    secrets: [{ secret: signingSecret }],
    createdAt: service.now(),
    version: 1,
    paused: false,
    disabledAt: null,
    disabledReason: null,
    // Events published from now on; nothing from before the destination existed.
    cursorSeq: await options.log.lastPublishedSeq(),
    failingSince: null,
    lastError: null,
    lastErrorAt: null,
    lastDeliveredAt: null,
  };
  await options.store.create(destination);
  options.onChanged(destination.id);
  return { destination, signingSecret };
}

async function update(
  service: ServiceState,
  principal: Principal,
  id: string,
  input: Partial<DestinationInput>,
): Promise<DestinationRecord> {
  const current = await owned(service, principal, id);
  const patch: DestinationPatch = {};
  if (input.url !== undefined) patch.url = await checkUrl(service, input.url);
  if (input.description !== undefined) patch.description = descriptionOf(input.description);
  if (input.query !== undefined || input.variables !== undefined) {
    patch.query = input.query ?? current.query;
    patch.variables = input.variables === undefined ? current.variables : input.variables;
    checkDocument(service, principal, patch.query, patch.variables);
  }
  if (patch.url !== undefined || patch.query !== undefined) patch.version = current.version + 1;
  return change(service, id, patch);
}

async function rotateSecret(service: ServiceState, principal: Principal, id: string): Promise<WithSecret> {
  const current = await owned(service, principal, id);
  const at = service.now();
  const signingSecret = newSigningSecret();
  // The secret that signed until now keeps signing for the overlap; older ones are dropped.
  const previous = current.secrets.find((s) => s.expiresAt === undefined);
  const secrets = [
    { secret: signingSecret },
    ...(previous ? [{ ...previous, expiresAt: at + ROTATION_OVERLAP_MS }] : []),
  ];
  return { destination: await change(service, id, { secrets }), signingSecret };
}

/** The service's state, and each operation checking who may manage what before it changes anything. */
export function createDestinationService(options: DestinationServiceOptions): DestinationService {
  const service: ServiceState = { options, now: options.now ?? Date.now };
  const { store } = options;
  return {
    create: (principal, input) => create(service, principal, input),
    async list(principal) {
      assertMayManage(principal);
      return (await store.list()).filter((d) => manages(principal, d));
    },
    get: (principal, id) => owned(service, principal, id),
    update: (principal, id, input) => update(service, principal, id, input),
    async delete(principal, id) {
      const current = await owned(service, principal, id);
      if (!(await store.delete(id))) throw notFound(id);
      options.onChanged(id);
      return current;
    },
    rotateSecret: (principal, id) => rotateSecret(service, principal, id),
    async setPaused(principal, id, paused) {
      await owned(service, principal, id);
      return change(
        service,
        id,
        paused
          ? { paused: true }
          : { paused: false, disabledAt: null, disabledReason: null, failingSince: null },
      );
    },
    async redeliver(principal, id, fromSeq, toSeq) {
      await owned(service, principal, id);
      if (fromSeq > toSeq) throw new DestinationError('invalid', '`from` must not come after `to`.', 'from');
      const count = await store.redeliver(id, fromSeq, toSeq, service.now());
      options.onChanged(id);
      return count;
    },
    deliveries: (destination, query) => store.deliveries(destination.id, query),
    backlog: (id) => store.backlog(id),
    deliveriesOfEvent: (seq) => store.deliveriesOfEvent(seq),
  };
}
