import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { BackplaneEvents, SequencedLine } from '../../src/backplane/backplane.js';
import { RedisBackplane } from '../../src/backplane/redis.js';
import { encodeWireLine } from '../../src/backplane/redis-wire.js';
import { startRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

/**
 * The Redis backplane's ordering, seen from one node, with a real redis-server: lines it missed on
 * the channel are read from the room's stream before it goes on; lines Redis lost are announced.
 */

interface Seen {
  lines: SequencedLine[];
  notices: string[];
  events: BackplaneEvents;
}

function recorder(): Seen {
  const seen: Seen = {
    lines: [],
    notices: [],
    events: {
      line: (_room, line) => seen.lines.push(line),
      epoch: (room, epoch, detail) => seen.notices.push(`epoch ${room} ${epoch}: ${detail}`),
      lost: (room, detail) => seen.notices.push(`lost ${room}: ${detail}`),
      node: () => undefined,
      nickLost: (key) => seen.notices.push(`nick lost ${key}`),
      state: () => undefined,
    },
  };
  return seen;
}

async function plane(url: string, commandTimeoutMs?: number): Promise<RedisBackplane> {
  const p = new RedisBackplane({
    url,
    presenceTimeoutMs: 60_000,
    ...(commandTimeoutMs !== undefined && { commandTimeoutMs }),
  });
  await p.start();
  onTestFinished(() => p.close());
  return p;
}

const line = (text: string) => ({ kind: 'say' as const, nick: 'alice', text, node: 'writer', member: 1 });

describe('Redis backplane order (one node)', () => {
  it('fills a gap from the room stream: a line numbered but never published arrives in its place', async () => {
    const redis = await startRedis();
    const reader = (await plane(redis.url)).hub('h', { historyLength: 300 });
    const seen = recorder();
    await reader.open(seen.events);
    await reader.watch('r');
    const writer = (await plane(redis.url)).hub('h', { historyLength: 300 });
    await writer.open(recorder().events);
    await writer.publish('r', line('one'));
    await until('line 1', () => seen.lines.length === 1);
    // Line 2 is numbered and kept, as the script would, but its PUBLISH is lost (a dropped
    // subscription): the reader only learns of it when line 3 shows the gap.
    const direct = new Redis(redis.url);
    onTestFinished(() => void direct.quit());
    const epoch = seen.lines[0]!.epoch;
    await direct.hincrby('switchboard:{h:r}:meta', 'seq', 1);
    await direct.xadd(
      'switchboard:{h:r}:log',
      '2-0',
      'e',
      epoch,
      'p',
      JSON.stringify({ k: 'say', n: 'alice', t: 'two', o: 'writer', m: 1 }),
    );
    await writer.publish('r', line('three'));
    await until('lines 1-3', () => seen.lines.length === 3);
    expect(seen.lines.map((l) => [l.seq, l.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);
    expect(seen.notices).toEqual([]);
  });

  it('after a reconnect, notices lines Redis lost (the stream top below its last) and a lost room (new epoch)', async () => {
    const redis = await startRedis();
    const readerPlane = await plane(redis.url);
    const reader = readerPlane.hub('h', { historyLength: 300 });
    const seen = recorder();
    await reader.open(seen.events);
    await reader.watch('r');
    const writer = (await plane(redis.url)).hub('h', { historyLength: 300 });
    await writer.open(recorder().events);
    for (const t of ['a', 'b', 'c', 'd']) await writer.publish('r', line(t));
    await until('4 lines', () => seen.lines.length === 4);
    // A replica promoted without the last two lines: the room's top goes back from 4 to 2.
    const direct = new Redis(redis.url);
    onTestFinished(() => void direct.quit());
    await direct.hset('switchboard:{h:r}:meta', 'seq', 2);
    await direct.xtrim('switchboard:{h:r}:log', 'MAXLEN', 2);
    await direct.xdel('switchboard:{h:r}:log', '3-0', '4-0');
    await direct.client('KILL', 'TYPE', 'pubsub');
    await until('the loss noticed', () => seen.notices.length === 1);
    expect(seen.notices[0]).toBe(
      'lost r: lines 3-4 were lost by Redis (a failover or a restart from an older save); numbering goes on from 5',
    );
    await until('resubscribed', () => readerPlane.up);
    await writer.publish('r', line('e'));
    await until('line e', () => seen.lines.length === 5);
    // No number is given twice: a client that saw the lost lines 3-4 must not take 'e' for one.
    expect(seen.lines.at(-1)).toMatchObject({ seq: 5, text: 'e' });
    // The room's metadata gone (a restart without persistence): the next line opens a new epoch.
    await direct.del('switchboard:{h:r}:meta');
    await writer.publish('r', line('f'));
    await until('line f', () => seen.lines.length === 6);
    expect(seen.lines.at(-1)).toMatchObject({ seq: 1, text: 'f' });
    expect(seen.lines.at(-1)!.epoch).not.toBe(seen.lines[0]!.epoch);
    expect(seen.notices[1]).toMatch(
      /^epoch r [0-9a-f]+: its history was lost in Redis \(epoch [0-9a-f]+ ended at line 5;/,
    );
  });

  it("keeps a turn's lines as one stream entry: history, a fill and a restored stream give each number once", async () => {
    const redis = await startRedis();
    const writer = (await plane(redis.url)).hub('h', { historyLength: 5 });
    await writer.open(recorder().events);
    const reader = (await plane(redis.url)).hub('h', { historyLength: 5 });
    const seen = recorder();
    await reader.open(seen.events);
    await reader.watch('r');
    // Lines published in one turn go to Redis in one script call: one entry, keyed by its last line.
    // (Each async arrow calls publish before its first await, so all of them run in this turn.)
    const inOneTurn = (texts: string[]) =>
      Promise.all(texts.map(async (t) => await writer.publish('r', line(t))));
    await inOneTurn(Array.from({ length: 12 }, (_, i) => `a${i + 1}`));
    await inOneTurn(['b13', 'b14', 'b15']);
    await until('15 lines', () => seen.lines.length === 15);
    expect(seen.lines.map((l) => l.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const direct = new Redis(redis.url);
    onTestFinished(() => void direct.quit());
    // Trimmed to the entries that hold the last 5 lines (11-15): 1-12 stays, for 11 and 12.
    const ids = (await direct.xrange('switchboard:{h:r}:log', '-', '+')).map(([id]) => id);
    expect(ids).toEqual(['12-0', '15-0']);
    // A joiner's node gets exactly the last 5 lines, although the stream holds 15.
    const late = (await plane(redis.url)).hub('h', { historyLength: 5 });
    await late.open(recorder().events);
    const snapshot = await late.watch('r');
    expect(snapshot.top).toBe(15);
    expect(snapshot.lines.map((l) => [l.seq, l.text])).toEqual([
      [11, 'a11'],
      [12, 'a12'],
      [13, 'b13'],
      [14, 'b14'],
      [15, 'b15'],
    ]);
    // An entry of three lines numbered but never published: filled, in its place, when 19 shows the gap.
    const epoch = seen.lines[0]!.epoch;
    await direct.hincrby('switchboard:{h:r}:meta', 'seq', 3);
    const missed = ['c16', 'c17', 'c18'].map((t) => encodeWireLine(line(t))).join('\n');
    await direct.xadd('switchboard:{h:r}:log', '18-0', 'e', epoch, 'p', missed);
    await writer.publish('r', line('d19'));
    await until('19 lines', () => seen.lines.length === 19);
    expect(seen.lines.slice(15).map((l) => [l.seq, l.text])).toEqual([
      [16, 'c16'],
      [17, 'c17'],
      [18, 'c18'],
      [19, 'd19'],
    ]);
    // The metadata restored older than the stream (16 < 19): the next line steps past the stream.
    await direct.hset('switchboard:{h:r}:meta', 'seq', 16);
    await writer.publish('r', line('e'));
    await until('20 lines', () => seen.lines.length === 20);
    expect(seen.lines.at(-1)).toMatchObject({ seq: 20, text: 'e' });
    expect(seen.notices).toEqual([]);
  });

  it('sends a room one call at a time: lines that come while it is out go together next, or are refused with it', async () => {
    const redis = await startRedis();
    const writer = (await plane(redis.url, 400)).hub('h', { historyLength: 300 });
    await writer.open(recorder().events);
    const first = writer.publish('r', line('1'));
    await Promise.resolve(); // the turn's send ran: line 1's call is out, and its answer cannot come before I/O
    const next = ['2', '3', '4', '5'].map((t) => writer.publish('r', line(t)));
    await Promise.all([first, ...next]);
    const direct = new Redis(redis.url);
    onTestFinished(() => void direct.quit());
    const entries = await direct.xrange('switchboard:{h:r}:log', '-', '+');
    expect(entries.map(([id]) => id)).toEqual(['1-0', '5-0']);

    // Redis stopped with a call out: the lines waiting behind it are refused when it times out,
    // not sent after it (each sender waits one timeout, not two).
    redis.child.kill('SIGSTOP');
    onTestFinished(() => void redis.child.kill('SIGCONT'));
    const started = performance.now();
    const stuck = writer.publish('r', line('6'));
    await Promise.resolve();
    const behind = writer.publish('r', line('7'));
    const results = await Promise.allSettled([stuck, behind]);
    const waitedMs = performance.now() - started;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/no answer within 400 ms/);
    expect(waitedMs).toBeLessThan(400 * 1.9);
    redis.child.kill('SIGCONT');
    // Answered late at SIGCONT, the script refuses line 6 (past its deadline); 7 was never sent.
    expect(await direct.hget('switchboard:{h:r}:meta', 'seq')).toBe('5');
    expect((await direct.xrange('switchboard:{h:r}:log', '-', '+')).map(([id]) => id)).toEqual([
      '1-0',
      '5-0',
    ]);
  });
});
