// Fault injection for client tests: delay, replace or hold back responses of matching requests.
// A rule matches method and path; it delays, then answers with its status (or lets the call through).
import { pathMatches } from './requests.js';

export interface FaultRule {
  /** Any method when absent; compared case-insensitively. */
  method?: string;
  /** A string is the exact path under the server (no query), compared case-insensitively; a RegExp is tested. */
  path: string | RegExp;
  /** Answer with this status instead of serving the request; without it the request goes on after the delay. */
  status?: number;
  /** JSON body of the injected answer. @default {"Message":"Injected fault"} for status ≥ 400, none otherwise */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long first, ms. */
  delayMs?: number;
  /** How many requests the rule applies to. @default unlimited */
  times?: number;
  /**
   * Called when a matching request arrives (before any delay): a test waits on it to know the request
   * is in flight. In-process only (the admin API cannot carry a function).
   */
  onArrival?: () => void;
  /**
   * Hold the answer until this settles: the request is served on arrival, so the answer is the state of
   * that moment, and sent only then. A test keeps a read in flight across a change with it. In-process only.
   */
  holdAnswer?: Promise<unknown>;
}

export interface FaultInjector {
  inject(rule: FaultRule): void;
  clear(): void;
  /** The first live rule matching the request, counted down once. */
  take(method: string, path: string): FaultRule | undefined;
}

export function createFaults(): FaultInjector {
  let rules: { rule: FaultRule; left: number }[] = [];
  const matches = (rule: FaultRule, method: string, path: string): boolean =>
    (rule.method === undefined || rule.method.toUpperCase() === method.toUpperCase()) &&
    pathMatches(rule.path, path);
  return {
    inject(rule) {
      rules.push({ rule: { ...rule }, left: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clear() {
      rules = [];
    },
    take(method, path) {
      const found = rules.find((entry) => entry.left > 0 && matches(entry.rule, method, path));
      if (!found) return undefined;
      found.left -= 1;
      rules = rules.filter((entry) => entry.left > 0);
      return found.rule;
    },
  };
}
