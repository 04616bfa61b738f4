// Pinning a bench process to one CPU with `taskset`: in production a Node process gets one core, so a
// server is measured on one core, with the load generators on the other.
import { execFileSync } from 'node:child_process';

/** The CPU servers under test are pinned to; load generators and clients go to CLIENT_CPU. */
export const SERVER_CPU = 1;
export const CLIENT_CPU = 0;

/** Pins a process (all its threads) to one CPU; says whether it could (no taskset, one CPU only). */
export function pin(pid: number, cpu: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
