import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SequencedLine } from '../../src/backplane/backplane.js';
import { RoomLog } from '../../src/backplane/room-log.js';

const lineAt = (epoch: string, seq: number): SequencedLine => ({
  kind: 'say',
  nick: 'a',
  text: `line ${seq}`,
  node: 'n',
  member: 1,
  epoch,
  seq,
});

describe('RoomLog (history and resume)', () => {
  it('gives exactly the lines after a number while it still holds them, and undefined past that', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }), // capacity
        fc.integer({ min: 0, max: 30 }), // lines in the snapshot
        fc.integer({ min: 0, max: 100 }), // lines added after
        fc.integer({ min: 0, max: 140 }), // resume from
        (capacity, seeded, added, from) => {
          const snapshot = Array.from({ length: seeded }, (_, i) => lineAt('e', i + 1));
          const log = new RoomLog(capacity, { epoch: 'e', top: seeded, lines: snapshot });
          for (let i = 1; i <= added; i++) log.add(lineAt('e', seeded + i));
          const top = seeded + added;
          const held = Math.min(capacity, top);
          expect(log.top).toBe(top);
          expect(log.last(1000).map((l) => l.seq)).toEqual(
            Array.from({ length: held }, (_, i) => top - held + 1 + i),
          );
          const after = log.after('e', from);
          if (from > top || top - from > held) {
            expect(after).toBeUndefined();
          } else {
            expect(after!.map((l) => l.seq)).toEqual(
              Array.from({ length: top - from }, (_, i) => from + 1 + i),
            );
          }
          expect(log.after('other', Math.min(from, top))).toBeUndefined();
        },
      ),
    );
  });

  it('keeps the newest lines within its byte bound, and resumes only from what it kept', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 80 }), // text lengths
        fc.integer({ min: 500, max: 20_000 }), // maxBytes
        (lengths, maxBytes) => {
          const log = new RoomLog(300, { epoch: 'e', top: 0, lines: [] }, maxBytes);
          lengths.forEach((n, i) => log.add({ ...lineAt('e', i + 1), text: 'x'.repeat(n) }));
          const kept = log.last(1000);
          const cost = (n: number) => n + 1 + 96;
          // The newest lines, contiguous, as many as fit (the newest always).
          let expected = 0;
          let bytes = 0;
          for (let i = lengths.length - 1; i >= 0; i--) {
            if (expected > 0 && bytes + cost(lengths[i]!) > maxBytes) break;
            bytes += cost(lengths[i]!);
            expected++;
          }
          expect(kept.map((l) => l.seq)).toEqual(
            Array.from({ length: expected }, (_, i) => lengths.length - expected + 1 + i),
          );
          if (lengths.length > 0) {
            expect(log.after('e', lengths.length - expected)?.length).toBe(expected);
            if (expected < lengths.length)
              expect(log.after('e', lengths.length - expected - 1)).toBeUndefined();
          }
        },
      ),
    );
  });

  it('starts over in a new epoch', () => {
    const log = new RoomLog(5, { epoch: 'a', top: 0, lines: [] });
    log.add(lineAt('a', 1));
    log.add(lineAt('a', 2));
    log.add(lineAt('b', 1));
    expect(log.epoch).toBe('b');
    expect(log.last(10).map((l) => `${l.epoch}${l.seq}`)).toEqual(['b1']);
    expect(log.after('a', 1)).toBeUndefined();
    expect(log.after('b', 0)!.map((l) => l.seq)).toEqual([1]);
  });
});
