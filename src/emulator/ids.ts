// ObjectId allocation for the emulator: 24-hex ids shaped like MongoDB's, as billwerk's are.
// Timestamp from the emulated clock, then a per-process part and a counter: one process's ids sort by
// creation, several processes' ids of one second sort by process first (createNodesIdSource).
import { randomBytes } from 'node:crypto';

export interface IdSource {
  /** A fresh ObjectId whose timestamp part is `atMs` (the emulated instant of the operation). */
  next(atMs: number): string;
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

/**
 * Which node makes the `index`-th id (from 0): the sum of `index`'s digits in base `nodes`, modulo `nodes`
 * (for two nodes the Thue–Morse sequence 0 1 1 0 1 0 0 1 …). Unlike strict turns it has no period, so
 * operations that each make an even number of ids still land on every node.
 */
export function nodeOf(index: number, nodes: number): number {
  let sum = 0;
  for (let rest = index; rest > 0; rest = Math.floor(rest / nodes)) sum += rest % nodes;
  return sum % nodes;
}

/**
 * billwerk runs on several servers, and an ObjectId is ordered only per process and per second: ids made
 * in the same second on two nodes sort by their process parts, not by when they were made. This source
 * makes each id on one of `processParts` (nodeOf), each with its own counter, so within one second
 * creation order and id order differ (a node with a lower part that makes an id later sorts first). The
 * node depends on the id's place in the sequence alone, so the ids stay a function of the operations,
 * whatever the clock's slicing. [inferred]: billwerk documents neither its servers nor how its ids are made.
 */
export function createNodesIdSource(processParts: readonly string[]): IdSource {
  if (processParts.length === 0) throw new TypeError('createNodesIdSource needs at least one process part');
  const nodes = processParts.map((part) => createIdSource(part));
  let made = 0;
  return {
    next(atMs) {
      const node = nodes[nodeOf(made, nodes.length)]!;
      made += 1;
      return node.next(atMs);
    },
  };
}
