// The pauses a loop takes between tries (a retry's backoff, a look again later), which its owner cuts short
// all at once: on close, so nothing sleeps through a shutdown, and when the work waiting in them was given up.

export interface Pauses {
  /** Resolves after `ms`, or sooner when cut short. */
  pause(ms: number): Promise<void>;
  /** Ends every pause under way now. */
  cutShort(): void;
}

export function createPauses(): Pauses {
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  return {
    pause: (ms) =>
      new Promise<void>((resolve) => {
        const entry = { timer: setTimeout(() => finish(), ms), resolve: () => finish() };
        function finish() {
          clearTimeout(entry.timer);
          timers.delete(entry);
          resolve();
        }
        timers.add(entry);
      }),
    cutShort() {
      for (const entry of timers) entry.resolve();
    },
  };
}
