import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { nickKey } from '../../src/hub/nick.js';
import { portOf, startServe, type ServeProcess } from '../helpers/cli.js';
import { chatMember, lineClient, type LineClient } from '../helpers/line-client.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisProcess } from '../helpers/redis.js';

/**
 * DESIGN §8, issue 10: switchboard processes sharing rooms on a real redis-server (started by each
 * test on a free port). The presence and nick timeouts are shortened by the backplane URL so that
 * a dead node's effects show within seconds; the defaults (15 s, 30 s) are documented.
 */

const FAST = 'presence=1500&nickTtl=3000';

async function node(redis: RedisProcess, query = FAST, extra: string[] = []): Promise<ServeProcess> {
  return startServe(['--backplane', `${redis.url}?${query}`, ...extra, 'chat@tcp://127.0.0.1:0?flood=0']);
}

function member(server: ServeProcess, nick?: string): Promise<LineClient> {
  return chatMember(portOf(server.urls[0]!), nick);
}

/** Wait until `count()` reaches `n`, or fail saying how far it got. */
function reach(what: string, count: () => number, n: number, timeoutMs = 20_000): Promise<void> {
  return until(
    what,
    () => count() >= n,
    timeoutMs,
    () => `${count()} of ${n}`,
  );
}

const TAGGED = /^@seq=(\d+);epoch=([0-9a-f]+) <(\S+)> (.*)$/;
const LINE = /^<(s\d)> (s\d) (\d+)$/;

describe('Redis backplane: two nodes, one room (DESIGN §8)', () => {
  it('three senders on both nodes × 300 lines at once: every member on every node sees one order, none lost', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([node(redis), node(redis)]);
    const s1 = await member(a, 's1');
    const s2 = await member(b, 's2');
    const s3 = await member(b, 's3');
    const readerA = await member(a, 'ra');
    const readerB = await member(b, 'rb');
    readerB.send('/seq on');
    // A room nobody has spoken in has its epoch already: a client can resume from line 0 of it.
    await readerB.expect(/^\* seq on: .*; lobby at @seq=0;epoch=[0-9a-f]{8}$/);
    const senders = [s1, s2, s3];
    const everyone = [...senders, readerA, readerB];
    // Everyone knows everyone before the burst (presence is asynchronous).
    for (const c of everyone) {
      await reach(
        '/who lists all five',
        () => {
          c.send('/who');
          return c.lines.some((l) => l.includes('(5 members)')) ? 1 : 0;
        },
        1,
        10_000,
      );
    }

    const N = 300;
    senders.forEach((s, i) => {
      const name = `s${i + 1}`;
      s.send(Array.from({ length: N }, (_, n) => `${name} ${n + 1}`).join('\n'));
    });
    const got = (c: LineClient): string[] =>
      c.lines
        .map((l) => (TAGGED.exec(l) === null ? l : `<${TAGGED.exec(l)![3]}> ${TAGGED.exec(l)![4]}`))
        .filter((l) => LINE.test(l));
    for (const [i, s] of senders.entries()) await reach(`s${i + 1} receives`, () => got(s).length, 2 * N);
    await reach('reader A receives', () => got(readerA).length, 3 * N);
    await reach('reader B receives', () => got(readerB).length, 3 * N);

    // The numbers: 1..900 without a gap, one epoch, each line once.
    const tagged = readerB.lines.filter(
      (l) => TAGGED.test(l) && LINE.test(`<${TAGGED.exec(l)![3]}> ${TAGGED.exec(l)![4]}`),
    );
    const seqs = tagged.map((l) => Number(TAGGED.exec(l)![1]));
    const first = seqs[0]!;
    expect(seqs).toEqual(Array.from({ length: 3 * N }, (_, k) => first + k));
    expect(new Set(tagged.map((l) => TAGGED.exec(l)![2])).size).toBe(1);
    const order = got(readerB);
    expect(new Set(order).size).toBe(3 * N);
    // Every member's view is the one order, less its own lines.
    expect(got(readerA)).toEqual(order);
    for (const [i, s] of senders.entries()) {
      expect(got(s)).toEqual(order.filter((l) => !l.startsWith(`<s${i + 1}>`)));
    }
    // Each sender's lines keep the order it sent them in.
    for (let i = 1; i <= 3; i++) {
      const mine = order.filter((l) => l.startsWith(`<s${i}>`)).map((l) => Number(LINE.exec(l)![3]));
      expect(mine).toEqual(Array.from({ length: N }, (_, n) => n + 1));
    }
  }, 60_000);

  it('nicks are unique across nodes; /who, /rooms, /msg and history work across them', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([node(redis), node(redis)]);
    const alice = await member(a, 'alice');
    const bob = await member(b);
    bob.send('/nick ALICE');
    await bob.expect(/^\* nick ALICE is taken$/);
    bob.send('/nick bob');
    await bob.expect(/^\* you are now bob$/);
    alice.send('/join dev');
    await alice.expect(/^\* you joined dev \(1 member\)$/);
    for (let i = 1; i <= 3; i++) alice.send(`said on A ${i}`);
    alice.send('/who');
    await alice.expect(/^\* dev: alice \(1 member\)$/);
    // A joiner on node B gets node A's lines as history.
    bob.send('/join dev');
    await bob.expect(/^\* you joined dev \(2 members\)$/);
    await bob.expect(/^\* history: the last 3 messages in dev$/);
    for (let i = 1; i <= 3; i++) await bob.expect(new RegExp(`^\\[history\\] <alice> said on A ${i}$`));
    await alice.expect(/^\* bob joined dev$/);
    bob.send('/who');
    await bob.expect(/^\* dev: (bob, alice|alice, bob) \(2 members\)$/);
    bob.send('/rooms');
    expect(await bob.expect(/^\* rooms: /)).toMatch(/dev \(2\)/);
    bob.send('/msg alice psst from B');
    await alice.expect(/^\*bob\* psst from B$/);
    await bob.expect(/^-> \*alice\* psst from B$/);
    bob.send('hi alice');
    await alice.expect(/^<bob> hi alice$/);
  }, 30_000);

  it('a node SIGKILLed: its members leave /who and free their nicks within the documented time', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([node(redis), node(redis)]);
    const alice = await member(a, 'alice');
    await member(b, 'bob');
    await reach(
      'alice sees bob',
      () => {
        alice.send('/who');
        return alice.lines.some((l) => l.includes('(2 members)')) ? 1 : 0;
      },
      1,
    );
    alice.send('/nick bob');
    await alice.expect(/^\* nick bob is taken$/);
    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    await alice.expect(/^\* bob left \(its node stopped answering/, 10_000);
    const goneMs = Date.now() - killedAt;
    // The nick key expires within nickTtl (3 s here, 30 s by default) of its last refresh.
    await reach(
      'bob free again',
      () => {
        alice.send('/nick bob');
        return alice.lines.includes('* you are now bob') ? 1 : 0;
      },
      1,
      10_000,
    );
    const freeMs = Date.now() - killedAt;
    console.log(`node killed: its member left /who after ${goneMs} ms, its nick was free after ${freeMs} ms`);
    expect(goneMs).toBeLessThanOrEqual(1500 + 1500);
    expect(freeMs).toBeLessThanOrEqual(3000 + 1000);
  }, 30_000);

  it('a nick whose claim lapsed while Redis was away and was taken elsewhere: its holder here is renamed, told why', async () => {
    const redis = await startRedis();
    const a = await node(redis);
    const alice = await member(a, 'alice');
    const carol = await member(a, 'carol');
    // The claim lapsed (an outage longer than nickTtl, or Redis restarted without it) and a member
    // of another node took the nick: Redis now says so.
    const direct = new Redis(redis.url);
    onTestFinished(() => void direct.quit());
    const key = `switchboard:{default}:nick:${nickKey('alice')}`;
    expect(await direct.get(key)).toMatch(/\/\d+$/);
    await direct.set(key, 'another-node:1:aa/7', 'PX', 60_000);
    // At its next refresh (every third of nickTtl: 1 s here) node A finds the nick another's.
    await alice.expect(
      /^\* your nick alice was taken on another node while the chat backplane was away; you get a guest name$/,
      5_000,
    );
    await alice.expect(/^\* you are now guest-\d+$/);
    await carol.expect(/^\* alice is now known as guest-\d+$/);
    expect(await direct.get(key)).toBe('another-node:1:aa/7');
    alice.send('/nick alice');
    await alice.expect(/^\* nick alice is taken$/);
  }, 20_000);
});

describe('Redis down, slow or back (DESIGN §8)', () => {
  it('Redis SIGKILLed then restarted: no crash, senders told, lines flow again under a new epoch, announced', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([node(redis, FAST, ['--metrics', 'http://127.0.0.1:0']), node(redis)]);
    await reach('the metrics line', () => (/metrics: http/.test(a.stdout()) ? 1 : 0), 1, 5_000);
    const healthz = `${/metrics: (http:\/\/\S+)\/metrics/.exec(a.stdout())![1]}/healthz`;
    expect((await fetch(healthz)).status).toBe(200);
    const alice = await member(a, 'alice');
    const bob = await member(b, 'bob');
    bob.send('/seq on');
    await bob.expect(/^\* seq on/);
    alice.send('before');
    const before = TAGGED.exec(await bob.expect(/before$/))!;

    const killedAt = Date.now();
    await redis.kill();
    alice.send('during');
    const refused = await alice.expect(/^\* not sent: "during"/, 5_000);
    const refusedMs = Date.now() - killedAt;
    expect(refused).toMatch(/backplane redis:\/\/127\.0\.0\.1:\d+ unavailable/);
    const down = await fetch(healthz);
    expect(down.status).toBe(503);
    expect(JSON.stringify(await down.json())).toMatch(
      /backplane redis redis:\/\/127\.0\.0\.1:\d+ is unreachable/,
    );
    // A newcomer meanwhile is told, not half-admitted.
    const late = await lineClient(portOf(b.urls[0]!));
    await late.expect(/^\* chat unavailable: backplane .* unavailable/);
    await late.closed;

    const restartedAt = Date.now();
    await redis.restart();
    let k = 0;
    await reach(
      'lines flow again',
      () => {
        alice.send(`after ${++k}`);
        return bob.lines.some((l) => /<alice> after \d+$/.test(l)) ? 1 : 0;
      },
      1,
      15_000,
    );
    const flowingMs = Date.now() - restartedAt;
    console.log(
      `Redis SIGKILL: sender told after ${refusedMs} ms; Redis restarted (no persistence): lines flowing again ${flowingMs} ms later`,
    );
    // Redis came back empty: the room starts a new epoch, and its members are told.
    await bob.expect(/^\* lobby: its history was lost in Redis .*; numbering starts again$/);
    const after = TAGGED.exec(bob.lines.find((l) => /<alice> after \d+$/.test(l))!)!;
    expect(after[2]).not.toBe(before[2]);
    expect(after[1]).toBe('1');
    expect(bob.lines.some((l) => l.endsWith('<alice> during'))).toBe(false);
    const up = await fetch(healthz);
    expect(up.status).toBe(200);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  }, 40_000);

  it('Redis SIGSTOPped: the sender is told within the timeout, nothing piles up, and at SIGCONT lines go on in order', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([
      node(redis, `${FAST}&timeout=500`),
      node(redis, `${FAST}&timeout=500`),
    ]);
    const alice = await member(a, 'alice');
    const bob = await member(b, 'bob');
    bob.send('/seq on');
    await bob.expect(/^\* seq on/);
    alice.send('one');
    const one = TAGGED.exec(await bob.expect(/<alice> one$/))!;

    redis.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    alice.send('stuck');
    await alice.expect(
      /^\* not sent: "stuck" reached nobody \(backplane .* no answer within 500 ms\)/,
      5_000,
    );
    const toldMs = Date.now() - stoppedAt;
    // While Redis does not answer, lines are refused at once rather than queued behind it.
    for (let i = 1; i <= 50; i++) alice.send(`queued ${i}`);
    await reach(
      'all 50 refused',
      () => alice.lines.filter((l) => l.startsWith('* not sent: "queued')).length,
      50,
      5_000,
    );
    const refusedAllMs = Date.now() - stoppedAt;

    redis.child.kill('SIGCONT');
    const resumedAt = Date.now();
    let k = 0;
    await reach(
      'lines flow again',
      () => {
        alice.send(`back ${++k}`);
        return bob.lines.some((l) => /<alice> back \d+$/.test(l)) ? 1 : 0;
      },
      1,
      10_000,
    );
    const flowingMs = Date.now() - resumedAt;
    console.log(
      `Redis SIGSTOP: sender told after ${toldMs} ms (timeout 500 ms), 50 more refused by ${refusedAllMs} ms; after SIGCONT lines flow in ${flowingMs} ms`,
    );
    // The stopped line reached Redis after its deadline: refused there too, never delivered late.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bob.lines.filter((l) => /<alice> (stuck|queued \d+)$/.test(l))).toEqual([]);
    // Same epoch, numbering goes on without a gap.
    const backs = bob.lines.filter((l) => /<alice> back \d+$/.test(l)).map((l) => TAGGED.exec(l)!);
    expect(backs[0]![2]).toBe(one[2]);
    expect(backs.map((m) => Number(m[1]))).toEqual(backs.map((_, i) => Number(one[1]) + 1 + i));
  }, 40_000);
});
