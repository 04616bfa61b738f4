// What the gateway opened, closed in the reverse order it was opened: a part is closed only after every
// part that uses it. A part that fails to close does not keep the others open; the first failure is
// thrown once all have been closed.

export class Disposers {
  readonly #stack: (() => Promise<void> | void)[] = [];

  /** Registers `close` and hands `part` back, so a part is created and registered in one line. */
  add<T>(part: T, close: (part: T) => Promise<void> | void): T {
    this.#stack.push(() => close(part));
    return part;
  }

  async close(): Promise<void> {
    let failure: { error: unknown } | undefined;
    for (let close = this.#stack.pop(); close; close = this.#stack.pop()) {
      try {
        await close();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
