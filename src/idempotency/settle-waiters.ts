// Waiters for an idempotency key to settle, shared by the stores: woken at once by an attempt in this
// process (wake), or finding out by polling the store when the attempt runs in another process.
export interface SettleWaiters {
  /** Resolves true when `settled` holds (woken or polled), false after `timeoutMs`. */
  wait(id: string, settled: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean>;
  wake(id: string): void;
  /** Wakes everyone (the store is closing). */
  wakeAll(): void;
}

export function createSettleWaiters(pollMs: number): SettleWaiters {
  const waiters = new Map<string, Set<() => void>>();
  return {
    async wait(id, settled, timeoutMs) {
      if (await settled()) return true;
      return new Promise<boolean>((resolve) => {
        const set = waiters.get(id) ?? new Set<() => void>();
        waiters.set(id, set);
        let checking = false;
        const done = (result: boolean) => {
          clearTimeout(timer);
          clearInterval(poll);
          set.delete(onWake);
          if (set.size === 0 && waiters.get(id) === set) waiters.delete(id);
          resolve(result);
        };
        const onWake = () => done(true);
        set.add(onWake);
        const timer = setTimeout(() => done(false), timeoutMs);
        const poll = setInterval(() => {
          if (checking) return;
          checking = true;
          Promise.resolve()
            .then(settled)
            .then((yes) => yes && done(true))
            .catch(() => undefined)
            .finally(() => (checking = false));
        }, pollMs);
        timer.unref();
        poll.unref();
      });
    },
    wake(id) {
      const set = waiters.get(id);
      if (!set) return;
      waiters.delete(id);
      for (const resolve of set) resolve();
    },
    wakeAll() {
      for (const set of waiters.values()) for (const resolve of set) resolve();
      waiters.clear();
    },
  };
}
