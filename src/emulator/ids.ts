// ObjectId allocation for the emulator: 24-hex ids shaped like MongoDB's, as billwerk's are.
// Timestamp from the emulated clock, then a per-emulator random part and a counter, so ids sort by creation.
import { randomBytes } from 'node:crypto';

export interface IdSource {
  /** A fresh ObjectId whose timestamp part is `atMs` (the emulated instant of the operation). */
  next(atMs: number): string;
}

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** True for a 24-hex ObjectId (any case). */
export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value.toLowerCase());
}

const PROCESS_PART = /^[0-9a-f]{10}$/;

/**
 * MongoDB's layout: 4-byte seconds, a 5-byte value per process, a 3-byte counter. `processPart` (10 hex
 * digits) fixes the middle part, so two sources with the same value allocate the same ids for the same
 * sequence of calls; by default it is random, as MongoDB's is.
 */
export function createIdSource(processPart: string = randomBytes(5).toString('hex')): IdSource {
  const process = processPart.toLowerCase();
  if (!PROCESS_PART.test(process)) {
    throw new TypeError(`an ObjectId process part is 10 hex digits, got '${processPart}'`);
  }
  let counter = 0;
  return {
    next(atMs) {
      const seconds = Math.max(0, Math.floor(atMs / 1000)) % 2 ** 32;
      counter = (counter + 1) % 2 ** 24;
      return seconds.toString(16).padStart(8, '0') + process + counter.toString(16).padStart(6, '0');
    },
  };
}
