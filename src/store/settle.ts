// better-sqlite3 is synchronous; the stores' interfaces are not (their Redis counterparts cannot be), so a
// synchronous call's outcome is handed over as a promise and a throw becomes a rejection.

/** Runs synchronous work and settles a promise with its outcome (a throw becomes a rejection). */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
