// Event destinations: partners' HTTP endpoints that receive published events as signed webhooks, each
// shaped by the destination's own subscription document. This file holds the records and the store's contract.
import { z } from 'zod';

/** Where one event stands for one destination. */
export type DeliveryState = 'pending' | 'delivered' | 'failing' | 'dead';

export const DELIVERY_STATES = [
  'pending',
  'delivered',
  'failing',
  'dead',
] as const satisfies readonly DeliveryState[];

/** A signing secret; the previous one stays valid until `expiresAt` after a rotation. */
export interface SigningSecret {
  /** Standard Webhooks form: `whsec_<base64 of the key>`. Never logged, never returned after creation. */
  secret: string;
  /** Epoch ms after which it no longer signs; undefined for the current secret. */
  expiresAt?: number;
}

export interface DestinationRecord {
  id: string;
  /** The principal that created it (`key:<id>` or `admin-key`); events are executed as this principal. */
  ownerId: string;
  url: string;
  description: string | null;
  /** A subscription document over contractChanged or billwerkEvents. */
  query: string;
  variables: Record<string, unknown> | null;
  /** Newest first. */
  secrets: SigningSecret[];
  createdAt: number;
  /** Bumped when url, query or variables change, so every instance picks up the new document. */
  version: number;
  paused: boolean;
  /** Set when deliveries kept failing for too long (EVENT_DESTINATION_DISABLE_AFTER_HOURS). */
  disabledAt: number | null;
  disabledReason: string | null;
  /** Publication sequence of the last event taken into this destination's deliveries. */
  cursorSeq: number;
  /** When the current run of failures began; null after a success. */
  failingSince: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  lastDeliveredAt: number | null;
}

export interface DeliveryRecord {
  destinationId: string;
  /** The event's publication sequence: its cursor, and its `webhook-id`. */
  seq: number;
  /** Deliveries with one key go out one at a time in sequence order (the event's contract). */
  orderKey: string;
  state: DeliveryState;
  attempts: number;
  /** Epoch ms of the next attempt while pending or failing. */
  nextAttemptAt: number | null;
  /** Epoch ms of the first attempt; the retry window counts from it. */
  firstAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** What an attempt changes on its delivery and on its destination. */
export interface AttemptRecord {
  delivery: Pick<
    DeliveryRecord,
    'state' | 'attempts' | 'nextAttemptAt' | 'firstAttemptAt' | 'lastStatus' | 'lastError' | 'deliveredAt'
  >;
  destination: Partial<
    Pick<
      DestinationRecord,
      'failingSince' | 'lastError' | 'lastErrorAt' | 'lastDeliveredAt' | 'disabledAt' | 'disabledReason'
    >
  >;
}

export type DestinationPatch = Partial<
  Pick<
    DestinationRecord,
    | 'url'
    | 'description'
    | 'query'
    | 'variables'
    | 'secrets'
    | 'version'
    | 'paused'
    | 'disabledAt'
    | 'disabledReason'
    | 'failingSince'
  >
>;

export interface DeliveryPageQuery {
  first: number;
  /** Deliveries with a sequence above this one. */
  afterSeq?: number;
  state?: DeliveryState;
}

export interface DestinationStore {
  create(record: DestinationRecord): Promise<void>;
  get(id: string): Promise<DestinationRecord | undefined>;
  /** Every destination, oldest first (they are few: one per partner endpoint). */
  list(): Promise<DestinationRecord[]>;
  /** Applies the patch; undefined when the destination does not exist. */
  update(id: string, patch: DestinationPatch): Promise<DestinationRecord | undefined>;
  /** Removes the destination with its deliveries; false when it did not exist. */
  delete(id: string): Promise<boolean>;
  /**
   * Stores a pending delivery with its body and moves the destination's cursor to `seq`, in one step.
   * A delivery already stored for that sequence is kept as it is (taking an event in is idempotent).
   */
  enqueue(delivery: DeliveryRecord, body: string): Promise<void>;
  /** Pending and failing deliveries, oldest first, at most `limit`. */
  pending(destinationId: string, limit: number): Promise<DeliveryRecord[]>;
  body(destinationId: string, seq: number): Promise<string | undefined>;
  /** Records an attempt's outcome on the delivery and its destination. */
  record(destinationId: string, seq: number, attempt: AttemptRecord): Promise<void>;
  /** A page of deliveries in sequence order. */
  deliveries(destinationId: string, query: DeliveryPageQuery): Promise<DeliveryRecord[]>;
  /** The deliveries of one event (by publication sequence), across destinations. */
  deliveriesOfEvent(seq: number): Promise<DeliveryRecord[]>;
  /** Sets the deliveries with fromSeq ≤ seq ≤ toSeq pending again, due at `now`; returns how many. */
  redeliver(destinationId: string, fromSeq: number, toSeq: number, now: number): Promise<number>;
  /** Pending and failing deliveries of a destination. */
  backlog(destinationId: string): Promise<number>;
  /** Drops delivered and dead deliveries created before `before` (epoch ms); returns how many. */
  prune(before: number): Promise<number>;
  close(): Promise<void>;
}

const secretSchema = z.object({ secret: z.string().startsWith('whsec_'), expiresAt: z.number().optional() });
const nullableNumber = z.number().nullable();

/** A destination read back from a store: parsed, since a damaged record must name itself. */
export const destinationSchema: z.ZodType<DestinationRecord> = z.object({
  id: z.string(),
  ownerId: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  query: z.string(),
  variables: z.record(z.string(), z.unknown()).nullable(),
  secrets: z.array(secretSchema).min(1),
  createdAt: z.number(),
  version: z.number(),
  paused: z.boolean(),
  disabledAt: nullableNumber,
  disabledReason: z.string().nullable(),
  cursorSeq: z.number(),
  failingSince: nullableNumber,
  lastError: z.string().nullable(),
  lastErrorAt: nullableNumber,
  lastDeliveredAt: nullableNumber,
});

export const deliverySchema: z.ZodType<DeliveryRecord> = z.object({
  destinationId: z.string(),
  seq: z.number(),
  orderKey: z.string(),
  state: z.enum(DELIVERY_STATES),
  attempts: z.number(),
  nextAttemptAt: nullableNumber,
  firstAttemptAt: nullableNumber,
  lastStatus: nullableNumber,
  lastError: z.string().nullable(),
  createdAt: z.number(),
  deliveredAt: nullableNumber,
});

/** States still waiting for an attempt: what the backlog counts and what holds a contract's later events. */
export const isOpen = (state: DeliveryState): boolean => state === 'pending' || state === 'failing';
