// What reconciliation keeps between sweeps: read back as written, an older version's watermark read as the
// overlap it stood for, and the operator's list of superseded changes bounded and free of repeats.
import { type EventLog } from '../../src/events/event-log.js';
import {
  MAX_SUPERSEDED_KEPT,
  readSuperseded,
  readSweepState,
  recordSuperseded,
  writeSweepState,
  type SupersededRecord,
} from '../../src/events/reconcile-state.js';
import { fakeId } from '../helpers/ids.js';

/** Only the log's metadata, which is all the state uses. */
function metaLog(): EventLog {
  const meta = new Map<string, string>();
  return {
    getMeta: (key: string) => Promise.resolve(meta.get(key)),
    setMeta: (key: string, value: string) => Promise.resolve(void meta.set(key, value)),
  } as unknown as EventLog;
}

describe('the reconciliation state', () => {
  it('reads back what a sweep wrote', async () => {
    const log = metaLog();
    expect(await readSweepState(log)).toBeUndefined();
    const state = {
      listedAt: 1000,
      listedAtWall: 2000,
      seen: [[fakeId(1), 900]] as [ReturnType<typeof fakeId>, number][],
      waiting: [],
      claimed: [[7, 1500]] as [number, number][],
    };
    await writeSweepState(log, state);
    expect(await readSweepState(log)).toEqual(state);
  });

  it("reads an older version's watermark as an overlap from its highest id's second", async () => {
    const log = metaLog();
    const lastId = '65a4f3c0' + 'ab'.repeat(8);
    const waiting = [{ id: fakeId(2), type: 'Signup', contractId: fakeId(3), due: 5000 }];
    await log.setMeta('reconciliation:watermark', JSON.stringify({ lastId, waiting }));
    const state = await readSweepState(log);
    expect(state?.listedAt).toBe(0x65a4f3c0 * 1000);
    expect(state?.seen.map(([id]) => id)).toEqual([lastId]);
    expect(state?.waiting.map((c) => `${c.event}:${c.changeId}:${c.due}`)).toEqual([
      `ContractCreated:${fakeId(2)}:5000`,
      `ContractChanged:${fakeId(2)}:5000`,
    ]);
  });

  it('keeps the newest superseded changes, each once', async () => {
    const log = metaLog();
    const record = (n: number): SupersededRecord => ({
      event: 'ContractChanged',
      changeId: fakeId(n),
      changeType: 'Upgrade',
      contractId: fakeId(1),
      due: n,
      reason: 'replaced',
      droppedAt: n,
    });
    await recordSuperseded(log, [record(1), record(2)]);
    await recordSuperseded(log, [record(2)]);
    expect((await readSuperseded(log)).map((r) => r.due)).toEqual([2, 1]);
    await recordSuperseded(
      log,
      Array.from({ length: MAX_SUPERSEDED_KEPT }, (_, i) => record(i + 10)),
    );
    const kept = await readSuperseded(log);
    expect(kept).toHaveLength(MAX_SUPERSEDED_KEPT);
    expect(kept[0]?.due).toBe(MAX_SUPERSEDED_KEPT + 9);
  });
});
