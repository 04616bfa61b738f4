// What every bench result records about the machine it ran on, so a reader can judge the numbers.
import os from 'node:os';
import { z } from 'zod';
import { round2 } from './stats.js';

export const machineSchema = z.object({
  nproc: z.number(),
  cpuModel: z.string(),
  node: z.string(),
  platform: z.string(),
  /** 1-minute load average when the run started and when it ended. */
  loadAverage: z.object({ start: z.number(), end: z.number() }),
});
export type Machine = z.infer<typeof machineSchema>;

/** This machine now; `loadAtStart` is the 1-minute load average read when the run began. */
export function describeMachine(loadAtStart: number): Machine {
  return {
    // The machine's CPUs: availableParallelism() would count only those this process is pinned to.
    nproc: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: { start: round2(loadAtStart), end: round2(os.loadavg()[0]!) },
  };
}
