// The wait for each graphql-ws socket's `connection_init`, on one timer for every socket: each socket
// waits as long as the others, so they are due in the order they opened, and only the first one due
// needs a timer. A timeout per socket would stay on every socket for as long as it is open.

/**
 * Calls `expired` with each item `ms` after it was added (graphql-ws's `connectionInitWaitTimeout`);
 * `expired` decides whether it still matters. With `ms` 0 or infinite, nothing waits (as in graphql-ws).
 */
export class InitWaits<T> {
  private readonly waiting: { readonly item: T; readonly due: number }[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly ms: number,
    private readonly expired: (item: T) => void,
  ) {}

  add(item: T): void {
    if (!(this.ms > 0 && Number.isFinite(this.ms))) return;
    this.waiting.push({ item, due: Date.now() + this.ms });
    if (!this.timer) this.arm();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.length = 0;
  }

  private arm(): void {
    const first = this.waiting[0];
    this.timer = first ? setTimeout(() => this.expire(), Math.max(0, first.due - Date.now())) : undefined;
  }

  private expire(): void {
    const now = Date.now();
    while (this.waiting.length > 0 && this.waiting[0]!.due <= now) this.expired(this.waiting.shift()!.item);
    this.arm();
  }
}
