// Request/response over a forked child's IPC channel: the orchestrator asks a server process for its
// CPU time, request log or cache stats. Messages cross a process boundary, so both ends parse them.
import { fork, type ChildProcess } from 'node:child_process';
import { z } from 'zod';

const callMessage = z.object({ kind: z.literal('call'), id: z.number().int(), op: z.string() });
const childMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), url: z.string() }),
  z.object({ kind: z.literal('result'), id: z.number().int(), value: z.unknown() }),
  z.object({ kind: z.literal('failure'), id: z.number().int(), error: z.string() }),
]);

export type Handlers = Record<string, () => unknown>;

/** CPU time a process has used, microseconds (process.cpuUsage()). */
export const cpuUsageSchema = z.object({ user: z.number(), system: z.number() });
export type CpuUsage = z.infer<typeof cpuUsageSchema>;

/**
 * In a child: announces `url` and answers the parent's calls. Every child answers `cpu`; `close` runs
 * `onClose` and then exits, so the parent's `close()` returns once the child's resources are released.
 */
export function serveParent(url: string, handlers: Handlers, onClose: () => Promise<void>): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('a bench child process must be started with fork() (no IPC channel)');
  const all: Handlers = { ...handlers, cpu: () => process.cpuUsage(), close: onClose };
  process.on('message', (raw: unknown) => {
    const parsed = callMessage.safeParse(raw);
    if (!parsed.success) return;
    const { id, op } = parsed.data;
    const handler = all[op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown op '${op}'`);
        return handler();
      })
      .then(
        (value) =>
          send({ kind: 'result', id, value: value ?? null }, () => {
            if (op === 'close') process.exit(0);
          }),
        (error: unknown) => send({ kind: 'failure', id, error: String(error) }),
      );
  });
  // An orchestrator that dies must not leave servers behind.
  process.once('disconnect', () => {
    void onClose().finally(() => process.exit(0));
  });
  send({ kind: 'ready', url });
}

export interface Child {
  /** What the child announced when it was ready (its HTTP base URL). */
  readonly url: string;
  /** The child's pid, for the report. */
  readonly pid: number;
  call<T>(op: string, schema: z.ZodType<T>): Promise<T>;
  cpu(): Promise<CpuUsage>;
  /** Asks the child to release its resources and exit; resolves when it has exited. */
  close(): Promise<void>;
}

/**
 * Forks a compiled bench module with `config` as its one argument (JSON) and waits for it to be ready.
 * `execArgv` goes to node, e.g. `['--cpu-prof']` to see where a server spends its time.
 */
export function startChild(modulePath: string, config: unknown, execArgv: string[] = []): Promise<Child> {
  const child: ChildProcess = fork(modulePath, [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise<Child>((resolveReady, rejectReady) => {
    child.once('exit', (code, signal) => {
      const error = new Error(`${modulePath} exited (code ${code ?? '-'}, signal ${signal ?? '-'})`);
      rejectReady(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
    child.on('message', (raw: unknown) => {
      const parsed = childMessage.safeParse(raw);
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.kind === 'ready') {
        resolveReady(handle(message.url));
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.kind === 'result') waiter?.resolve(message.value);
      else waiter?.reject(new Error(`${modulePath}: ${message.error}`));
    });
  });

  function handle(url: string): Child {
    const call = <T>(op: string, schema: z.ZodType<T>): Promise<T> =>
      new Promise<unknown>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ kind: 'call', id, op });
      }).then((value) => schema.parse(value));
    return {
      url,
      pid: child.pid ?? -1,
      call,
      cpu: () => call('cpu', cpuUsageSchema),
      async close() {
        if (child.exitCode === null && child.signalCode === null) {
          await call('close', z.unknown()).catch(() => undefined);
        }
        await exited;
      },
    };
  }
}

/** Parses the JSON argument a child was forked with. */
export function childConfig<T>(schema: z.ZodType<T>): T {
  return schema.parse(JSON.parse(process.argv[2] ?? 'null'));
}
