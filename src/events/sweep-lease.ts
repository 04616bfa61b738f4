// Leases for work that one gateway instance at a time must do (the reconciliation sweep): held until
// released or until their time runs out, so a crashed holder never blocks the others for long.

export interface Lease {
  /** Takes the lease for `ttlMs` when nobody holds it; resolves whether this instance now holds it. */
  acquire(name: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease back, if this instance still holds it. */
  release(name: string): Promise<void>;
}

/** One process alone: the lease is always free (the work itself never overlaps, see its caller). */
export const localLease: Lease = {
  acquire: () => Promise.resolve(true),
  release: () => Promise.resolve(),
};
