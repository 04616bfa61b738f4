// Full garbage collections before memory is read, in the bench's server processes (forked with
// --expose-gc). Shared by the gateway and the baseline so that both are measured the same way.

/**
 * Collects until the heap stops shrinking (at most five rounds), yielding to the event loop between
 * rounds so that sockets closed a moment ago and their finalizers are gone too.
 */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memory figures need a full collection: fork the server with --expose-gc');
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round += 1) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= previous * 0.999) return;
    previous = used;
  }
}
