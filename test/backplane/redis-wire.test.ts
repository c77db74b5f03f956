import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RoomLine, SequencedLine } from '../../src/backplane/backplane.js';
import {
  decodeWireLine,
  encodeWireLine,
  parseBatchMessage,
  parseStreamEntry,
} from '../../src/backplane/redis-wire.js';

const roomLine = fc.record({
  kind: fc.constantFrom('say' as const, 'action' as const),
  nick: fc.string({ maxLength: 30 }),
  text: fc.string({ maxLength: 200 }),
  node: fc.string({ maxLength: 40 }),
  member: fc.integer({ min: 0, max: 2 ** 31 }),
});

const numbered = (line: RoomLine, epoch: string, seq: number): SequencedLine => ({ ...line, epoch, seq });

describe('the Redis wire line', () => {
  it('comes back as it went, whatever the nick, node and text hold', () => {
    fc.assert(
      fc.property(roomLine, fc.integer({ min: 1, max: 1e9 }), (line, seq) => {
        const wire = encodeWireLine(line);
        expect(wire).not.toContain('\n');
        expect(decodeWireLine(wire, 'e1', seq)).toEqual(numbered(line, 'e1', seq));
      }),
    );
  });

  it('is the fixed layout for an ordinary line and JSON only where that layout cannot hold it', () => {
    const line: RoomLine = { kind: 'say', nick: 'alice', text: 'hi  there {x}', node: 'h:12:ab', member: 7 };
    expect(encodeWireLine(line)).toBe('s h:12:ab 7 alice hi  there {x}');
    expect(encodeWireLine({ ...line, kind: 'action', text: '' })).toBe('a h:12:ab 7 alice ');
    expect(encodeWireLine({ ...line, text: 'two\nlines' })).toMatch(/^\{/);
    expect(encodeWireLine({ ...line, nick: 'a b' })).toMatch(/^\{/);
  });

  it('reads the JSON lines of earlier nodes and refuses what is not a line', () => {
    const old = JSON.stringify({ k: 'say', n: 'bob', t: 'from before', o: 'old:1:aa', m: 3 });
    expect(decodeWireLine(old, 'e', 4)).toEqual({
      kind: 'say',
      nick: 'bob',
      text: 'from before',
      node: 'old:1:aa',
      member: 3,
      epoch: 'e',
      seq: 4,
    });
    for (const junk of ['', 'x', 's', 's node', 's node 1', 's node one bob hi', '{"k":"say"}', '{nope']) {
      expect(decodeWireLine(junk, 'e', 1)).toBeUndefined();
    }
  });

  it('numbers a publish message from its header and a stream entry back from its id (the last line)', () => {
    const lines = ['one', 'two', 'three'].map((text, i): RoomLine => ({
      kind: 'say',
      nick: 'n',
      text,
      node: 'a:1:x',
      member: i,
    }));
    const payload = lines.map(encodeWireLine).join('\n');
    expect(parseBatchMessage(`E7 41 3\n${payload}`)).toEqual(lines.map((l, i) => numbered(l, 'E7', 41 + i)));
    const out: SequencedLine[] = [];
    parseStreamEntry(['43-0', ['e', 'E7', 'p', payload]], out);
    expect(out).toEqual(lines.map((l, i) => numbered(l, 'E7', 41 + i)));
    expect(parseBatchMessage('not a batch')).toEqual([]);
  });
});
