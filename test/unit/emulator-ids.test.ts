// The emulator's ObjectIds: one process's ids sort by creation; ids from several simulated billwerk servers
// do not, within a second, and every node is used whatever number of ids each operation makes.
import { createIdSource, createNodesIdSource, nodeOf } from '../../src/emulator/ids.js';

const SECOND = Date.parse('2026-01-15T10:00:00Z');

describe('emulator ids', () => {
  it('from one process sort in the order they were made', () => {
    const ids = createIdSource('0123456789');
    const made = Array.from({ length: 50 }, () => ids.next(SECOND));
    expect([...made].sort()).toEqual(made);
  });

  it('from two servers do not sort in the order they were made within a second, and repeat exactly', () => {
    const make = () => {
      const ids = createNodesIdSource(['ffffffffff', '0000000000']);
      return Array.from({ length: 16 }, () => ids.next(SECOND));
    };
    const made = make();
    expect([...made].sort()).not.toEqual(made);
    expect(new Set(made).size).toBe(made.length);
    expect(make()).toEqual(made);
    // A later second still sorts after: only ids of one second interleave.
    const later = createNodesIdSource(['ffffffffff', '0000000000']).next(SECOND + 1000);
    expect(made.every((id) => id < later)).toBe(true);
  });

  it('use every server along any stride of operations', () => {
    for (const nodes of [2, 3]) {
      for (let stride = 1; stride <= 12; stride += 1) {
        for (let offset = 0; offset < stride; offset += 1) {
          const used = new Set(Array.from({ length: 64 }, (_, k) => nodeOf(offset + k * stride, nodes)));
          expect(used.size).toBe(nodes);
        }
      }
    }
  });
});
