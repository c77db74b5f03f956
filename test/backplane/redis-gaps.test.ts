import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { BackplaneEvents, SequencedLine } from '../../src/backplane/backplane.js';
import { RedisBackplane } from '../../src/backplane/redis.js';
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
      state: () => undefined,
    },
  };
  return seen;
}

async function plane(url: string): Promise<RedisBackplane> {
  const p = new RedisBackplane({ url, presenceTimeoutMs: 60_000 });
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
});
