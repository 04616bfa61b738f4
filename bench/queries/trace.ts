// Rounds of dependent REST calls in one request, from the calls as the server sent them: a call that was
// sent after another had been answered depends on it (or could have), so it belongs to a later round.
// The longest such chain is the request's critical path.
import { type UpstreamCall } from './protocol.js';

export interface Trace {
  calls: number;
  rounds: number;
  /** Each round's calls, e.g. `20 × GET /customers/{id}`. */
  byRound: { round: number; calls: string[] }[];
}

/** Ids differ from call to call; the shape of a call is what a trace reports. */
const shapeOf = (call: UpstreamCall) => `${call.method} ${call.path.replace(/[0-9a-f]{24}/gi, '{id}')}`;

export function traceRounds(calls: readonly UpstreamCall[]): Trace {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const rounds: number[] = [];
  for (const [i, call] of sorted.entries()) {
    let before = 0;
    for (let j = 0; j < i; j += 1) {
      if (sorted[j]!.endedAt <= call.startedAt) before = Math.max(before, rounds[j]!);
    }
    rounds.push(before + 1);
  }
  const byRound = new Map<number, Map<string, number>>();
  for (const [i, call] of sorted.entries()) {
    const counts = byRound.get(rounds[i]!) ?? new Map<string, number>();
    counts.set(shapeOf(call), (counts.get(shapeOf(call)) ?? 0) + 1);
    byRound.set(rounds[i]!, counts);
  }
  return {
    calls: sorted.length,
    rounds: Math.max(0, ...rounds),
    byRound: [...byRound.entries()]
      .sort(([a], [b]) => a - b)
      .map(([round, counts]) => ({
        round,
        calls: [...counts.entries()].map(([shape, n]) => (n > 1 ? `${n} × ${shape}` : shape)),
      })),
  };
}
