import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { portOf, runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { chatMember, lineClient, type LineClient } from '../helpers/line-client.js';
import { startRedis } from '../helpers/redis.js';
import { staleSocket } from '../helpers/socket.js';
import { get, scrapeUntil } from '../metrics/scrape.js';

interface Workers extends ServeProcess {
  /** The workers' pids, as the banner lists them. */
  readonly pids: number[];
}

/** `switchboard serve --workers 2 ARGS`, once its banner has listed the workers. */
async function serveWorkers(args: string[]): Promise<Workers> {
  const s = await startServe(['--workers', '2', ...args]);
  await expect.poll(() => /^workers: .*\(pids [\d, ]+\)/m.test(s.stdout()), { timeout: 5_000 }).toBe(true);
  const pids = /\(pids ([\d, ]+)\)/.exec(s.stdout())![1]!.split(', ').map(Number);
  onTestFinished(() => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  return { ...s, pids };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The JSON log lines a process wrote to stderr so far. */
function logLines(s: ServeProcess): Array<Record<string, unknown>> {
  return s
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Which worker took a connection: the worker's own `connect` log line names the peer (the client's
 * local address) and the worker. Proves where members sit, rather than assume round-robin did it.
 */
async function workerOf(s: ServeProcess, client: { localPort?: number | undefined }): Promise<number> {
  const peer = `127.0.0.1:${client.localPort}`;
  let worker: unknown;
  await expect
    .poll(() => (worker = logLines(s).find((l) => l.msg === 'connect' && l.peer === peer)?.worker), {
      timeout: 5_000,
    })
    .toBeDefined();
  return worker as number;
}

/** Members connected one after another until each of the two workers has `each` of them. */
async function membersOnBothWorkers(
  s: ServeProcess,
  port: number,
  each: number,
): Promise<[LineClient[], LineClient[]]> {
  const by = new Map<number, LineClient[]>();
  for (let i = 0; i < 4 * each && [...by.values()].filter((l) => l.length >= each).length < 2; i++) {
    const c = await chatMember(port, `m${i}`);
    const w = await workerOf(s, c.socket);
    by.set(w, [...(by.get(w) ?? []), c]);
  }
  const [a, b] = [...by.values()];
  expect([a?.length, b?.length]).toEqual([expect.any(Number), expect.any(Number)]);
  expect(Math.min(a!.length, b!.length)).toBeGreaterThanOrEqual(each);
  return [a!, b!];
}

describe('--workers 2, no Redis: chat across workers keeps the promises of DESIGN §6', () => {
  it('three senders on both workers × 300 lines at once: every member on every worker sees one order, none lost', async () => {
    const s = await serveWorkers(['chat@tcp://127.0.0.1:0?flood=0']);
    const port = portOf(s.urls[0]!);
    const [a, b] = await membersOnBothWorkers(s, port, 3);
    const senders = [a[0]!, b[0]!, a[1]!];
    const watchers = [b[1]!, a[2]!, b[2]!];
    const nicks = new Map(senders.map((c) => [c, /^\* you are now (\S+)$/m.exec(c.lines.join('\n'))![1]!]));
    senders.forEach((c, i) => c.socket.write(Array.from({ length: 300 }, (_, j) => `${i}:${j}\n`).join('')));

    const relayed = (c: LineClient): string[] => c.lines.filter((l) => /^<m\d+> \d:\d+$/.test(l));
    for (const w of watchers) {
      await expect.poll(() => relayed(w).length, { timeout: 30_000, interval: 100 }).toBe(900);
    }
    const order = relayed(watchers[0]!);
    for (const w of watchers) expect(relayed(w)).toEqual(order);
    for (const [c, nick] of nicks) {
      // A sender sees exactly the others' lines, in the same order as everyone else.
      await expect.poll(() => relayed(c).length, { timeout: 10_000 }).toBe(600);
      expect(relayed(c)).toEqual(order.filter((l) => !l.startsWith(`<${nick}> `)));
    }
    senders.forEach((c, i) => {
      const own = order.filter((l) => l.startsWith(`<${nicks.get(c)}> `)).map((l) => Number(l.split(':')[1]));
      expect(own).toEqual(Array.from({ length: 300 }, (_, j) => j));
      expect(own.length).toBe(300);
      expect(order.filter((l) => l.endsWith(` ${i}:0`))).toHaveLength(1);
    });
    expect(
      [...watchers, ...senders].flatMap((c) => c.lines.filter((l) => /not sent|missed|lost/.test(l))),
    ).toEqual([]);
  }, 60_000);

  it('a nick held on one worker is refused on the other; /who, /rooms and /msg reach across; history crosses', async () => {
    const s = await serveWorkers(['chat@tcp://127.0.0.1:0']);
    const port = portOf(s.urls[0]!);
    const [[alice], [bob]] = await membersOnBothWorkers(s, port, 1);
    alice!.send('/nick alice');
    await alice!.expect(/^\* you are now alice$/);
    bob!.send('/nick ALICE');
    await bob!.expect(/^\* nick ALICE is taken$/);
    bob!.send('/nick bob');
    await bob!.expect(/^\* you are now bob$/);

    bob!.send('/who');
    await bob!.expect(/^\* lobby: (bob, alice|alice, bob) \(2 members\)$/);
    bob!.send('/msg alice across the pipe');
    await alice!.expect(/^\*bob\* across the pipe$/);

    alice!.send('/join den');
    await alice!.expect(/^\* you joined den/);
    alice!.send('said on one worker');
    alice!.send('/rooms');
    await alice!.expect(/^\* rooms: /);
    bob!.send('/rooms');
    await bob!.expect(/^\* rooms: (lobby \(1\), den \(1\)|den \(1\), lobby \(1\))$/);
    bob!.send('/join den');
    await bob!.expect(/^\* history: the last 1 message in den$/);
    await bob!.expect(/^\[history\] <alice> said on one worker$/);
    await alice!.expect(/^\* bob joined den$/);
  }, 30_000);

  it('SIGKILL of a worker: the primary logs it and starts another, and its members’ nicks are free at once', async () => {
    const s = await serveWorkers(['--log-level', 'info', 'chat@tcp://127.0.0.1:0']);
    const port = portOf(s.urls[0]!);
    const [[victim], [survivor]] = await membersOnBothWorkers(s, port, 1);
    victim!.send('/nick carol');
    await victim!.expect(/^\* you are now carol$/);
    const doomed = await workerOf(s, victim!.socket);
    const doomedPid = logLines(s).find((l) => l.worker === doomed)!.pid as number;
    expect(s.pids).toContain(doomedPid);

    process.kill(doomedPid, 'SIGKILL');
    await victim!.closed;
    await expect
      .poll(() => s.stderr(), { timeout: 5_000 })
      .toMatch(
        new RegExp(`worker ${doomed} \\(pid ${doomedPid}\\) died \\(signal SIGKILL\\); starting another`),
      );
    // Not after a TTL: the primary saw the worker die, freed its nicks and told the others.
    const started = performance.now();
    survivor!.send('/nick carol');
    await survivor!.expect(/^\* you are now carol$/, 2_000);
    console.log(
      `nick of a SIGKILLed worker's member free again after ${(performance.now() - started).toFixed(0)} ms`,
    );

    let fresh: number | undefined;
    await expect
      .poll(
        () =>
          (fresh = Number(
            new RegExp(`worker (\\d+) \\(pid \\d+\\) started, replacing worker ${doomed} `).exec(
              s.stderr(),
            )?.[1],
          )),
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    // The new worker serves chat with the survivor: a member that lands on it talks to carol.
    let onFresh: LineClient | undefined;
    for (let i = 0; i < 6 && onFresh === undefined; i++) {
      const c = await chatMember(port, `late${i}`);
      if ((await workerOf(s, c.socket)) === fresh) onFresh = c;
    }
    expect(onFresh).toBeDefined();
    onFresh!.send('hello from the new worker');
    await survivor!.expect(/^<late\d> hello from the new worker$/);
  }, 30_000);

  it("a SIGSTOPped worker that stops taking the primary's messages is killed and replaced, not fed for ever", async () => {
    const s = await serveWorkers(['--log-level', 'info', 'chat@tcp://127.0.0.1:0?flood=0']);
    const port = portOf(s.urls[0]!);
    const [[sender], [frozen]] = await membersOnBothWorkers(s, port, 1);
    const stuck = await workerOf(s, frozen!.socket);
    const stuckPid = logLines(s).find((l) => l.worker === stuck)!.pid as number;
    process.kill(stuckPid, 'SIGSTOP');
    onTestFinished(() => {
      if (alive(stuckPid)) process.kill(stuckPid, 'SIGCONT');
    });
    // Chat goes on on the other worker; the primary owes the stopped one every line (it carries
    // the lobby too). Its channel fills, then nothing it is sent is taken.
    const started = performance.now();
    const talk = setInterval(() => {
      for (let i = 0; i < 20; i++) sender!.send(`line ${i} ${'x'.repeat(200)}`);
    }, 50);
    onTestFinished(() => clearInterval(talk));
    const name = `worker ${stuck} \\(pid ${stuckPid}\\)`;
    await expect
      .poll(() => s.stderr(), { timeout: 15_000 })
      .toMatch(
        new RegExp(
          `${name} is not taking the primary's messages: it has not taken a message for \\d+ ms \\(limit 5000 ms; \\d+ waiting\\); killing it`,
        ),
      );
    const cutMs = performance.now() - started;
    await expect
      .poll(() => s.stderr(), { timeout: 5_000 })
      .toMatch(new RegExp(`${name} died \\(signal SIGKILL\\); starting another`));
    clearInterval(talk);
    await frozen!.closed;
    expect(alive(stuckPid)).toBe(false);
    // The sender's worker was never held up: a new member hears the sender at once.
    const listener = await chatMember(port, 'after');
    sender!.send('still here');
    await listener.expect(/^<m\d+> still here$/);
    console.log(`SIGSTOPped worker cut ${(cutMs / 1000).toFixed(1)} s after chat went on without it`);
  }, 40_000);

  it('a worker that keeps dying: after 5 deaths within 10 s the primary gives up, says why and exits 1', async () => {
    const s = await startServe(['--workers', '1', 'upper@tcp://127.0.0.1:0']);
    const started = performance.now();
    for (let death = 1; death <= 5; death++) {
      // The worker that runs now: the banner's, then each replacement the log names.
      const named = [...s.stderr().matchAll(/worker \d+ \(pid (\d+)\) started, replacing/g)];
      const pid = death === 1 ? Number(/\(pids (\d+)\)/.exec(s.stdout())![1]) : Number(named.at(-1)![1]);
      process.kill(pid, 'SIGKILL');
      if (death < 5) {
        await expect
          .poll(() => s.stderr().match(/started, replacing/g)?.length ?? 0, { timeout: 5_000 })
          .toBe(death);
      }
    }
    expect(await s.exited).toBe(1);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(s.stderr()).toMatch(/5 workers died within 10 s; giving up/);
    expect(s.stderr().match(/died \(signal SIGKILL\); starting another/g)).toHaveLength(4);
  }, 30_000);

  it('SIGTERM to the primary stops every worker gracefully: members told, the Unix socket removed, all exit 0 promptly', async () => {
    const path = join(tmpdir(), `sb-workers-${process.pid}-${Date.now()}.sock`);
    onTestFinished(() => rm(path, { force: true }));
    const s = await serveWorkers([
      '--shutdown-timeout',
      '20000',
      'chat@tcp://127.0.0.1:0',
      `chat@unix://${path}`,
    ]);
    const port = portOf(s.urls[0]!);
    const [onA, onB] = await membersOnBothWorkers(s, port, 2);
    const local = await lineClient(path);
    await local.expect(/^\* welcome/);

    const started = performance.now();
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const tookMs = performance.now() - started;
    console.log(`--workers 2: SIGTERM to exit with 5 members: ${tookMs.toFixed(0)} ms`);
    expect(tookMs).toBeLessThan(5_000);
    for (const c of [...onA, ...onB, local]) await c.expect(/^\* server shutting down$/);
    for (const pid of s.pids) expect(alive(pid)).toBe(false);
    expect(existsSync(path)).toBe(false);
  }, 30_000);
});

describe('--workers 2 --backplane redis://: each worker is a Redis member', () => {
  it('keeps nicks unique and one room across the workers through Redis', async () => {
    const redis = await startRedis();
    const s = await serveWorkers(['--backplane', redis.url, 'chat@tcp://127.0.0.1:0']);
    expect(s.stdout()).toMatch(/chat shared through redis:\/\/127\.0\.0\.1:\d+/);
    const [[alice], [bob]] = await membersOnBothWorkers(s, portOf(s.urls[0]!), 1);
    alice!.send('/nick alice');
    await alice!.expect(/^\* you are now alice$/);
    bob!.send('/nick alice');
    await bob!.expect(/^\* nick alice is taken$/);
    alice!.send('through redis');
    await bob!.expect(/^<alice> through redis$/);
  }, 30_000);
});

describe('--workers 2: listeners shared by node:cluster', () => {
  it('TCP, Unix, WebSocket and UDP on port 0: one real port each in the banner, connections on both workers, a stale socket file cleaned once', async () => {
    const path = join(tmpdir(), `sb-workers-stale-${process.pid}-${Date.now()}.sock`);
    onTestFinished(() => rm(path, { force: true }));
    await staleSocket(path); // a socket file a SIGKILLed server left

    const s = await serveWorkers([
      'upper@tcp://127.0.0.1:0?framing=line',
      `upper@unix://${path}?framing=line`,
      'upper@ws://127.0.0.1:0/up',
      'upper@udp://127.0.0.1:0',
    ]);
    const [tcp, unix, ws, udp] = s.urls as [string, string, string, string];
    expect(unix).toBe(`unix://${path}`);
    for (const url of [tcp, ws, udp]) expect(portOf(url.replace(/\/up$/, ''))).toBeGreaterThan(0);

    const workersFor = async (open: () => Promise<{ localPort?: number | undefined; text: string }>) => {
      const seen = new Set<number>();
      for (let i = 0; i < 6; i++) {
        const c = await open();
        expect(c.text).toBe('HELLO');
        if (c.localPort !== undefined) seen.add(await workerOf(s, c));
      }
      return seen;
    };
    const overTcp = await workersFor(async () => {
      const c = await lineClient(portOf(tcp));
      const localPort = c.socket.localPort;
      c.send('hello');
      const text = await c.expect(/./);
      c.close();
      return { localPort, text };
    });
    expect(overTcp.size).toBe(2);

    const overUnix: string[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await lineClient(path);
      c.send('hello');
      overUnix.push(await c.expect(/./));
      c.close();
    }
    expect(overUnix).toEqual(Array(6).fill('HELLO'));
    // Unix peers have no port: their log lines name the path and a per-worker number.
    await expect
      .poll(
        () =>
          new Set(
            logLines(s)
              .filter((l) => String(l.peer).startsWith(`unix:${path}`))
              .map((l) => l.worker),
          ).size,
      )
      .toBe(2);

    const socket = new WebSocket(ws);
    onTestFinished(() => socket.terminate());
    await once(socket, 'open');
    socket.send('hello');
    const [reply] = (await once(socket, 'message')) as [Buffer];
    expect(reply.toString()).toBe('HELLO');

    const udpClient = createSocket('udp4');
    onTestFinished(() => {
      udpClient.close();
    });
    const replies: string[] = [];
    udpClient.on('message', (m) => replies.push(m.toString()));
    for (let i = 0; i < 20; i++) udpClient.send(`d${i}`, portOf(udp), '127.0.0.1');
    await expect.poll(() => replies.length).toBe(20);
    expect(replies.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `D${i}`).sort());

    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(existsSync(path)).toBe(false);
  }, 30_000);

  it('a listener that cannot start: one line on stderr, exit 1, no worker left behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      taken.close();
    });
    const port = (taken.address() as { port: number }).port;
    const started = performance.now();
    const result = await runCli(['serve', '--workers', '2', `upper@tcp://127.0.0.1:${port}`], '', 15_000);
    expect(result.code).toBe(1);
    // The other worker was stopped, not left to the shutdown deadline (5 s + 2 s) and killed.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.stdout).toBe('');
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('switchboard: '));
    expect(errors).toEqual([expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${port} is already in use`))]);
  }, 20_000);
});

describe('--workers 2 --metrics: figures summed over the workers (issue 12)', () => {
  it('/metrics sums the connection gauge of both workers; /varz and /healthz combine them; top reads it', async () => {
    const s = await serveWorkers(['--metrics', 'http://127.0.0.1:0', 'chat@tcp://127.0.0.1:0']);
    const base = /^metrics: (http:\/\/\S+)\/metrics/m.exec(s.stdout())![1]!;
    const chat = s.urls[0]!;
    const [a, b] = await membersOnBothWorkers(s, portOf(chat), 2);
    const open = a.length + b.length;

    const scrape = await scrapeUntil(
      base,
      (m) => m.value('switchboard_connections', { listener: chat }) === open,
    );
    expect(scrape.value('switchboard_connections', { listener: chat })).toBe(open);
    expect(scrape.value('switchboard_chat_members')).toBe(open);
    expect(scrape.value('switchboard_workers')).toBe(2);
    expect(scrape.value('switchboard_listener_up', { listener: chat })).toBe(1);
    // One series per listener, not one per worker.
    expect(scrape.family('switchboard_connections')?.metrics).toHaveLength(1);

    const varz = JSON.parse((await get(base, '/varz')).body) as {
      connections: number;
      workers: Array<{ pid: number; connections: number }>;
      backplane: { kind: string };
    };
    expect(varz.connections).toBe(open);
    expect(varz.workers.map((w) => w.pid).sort()).toEqual([...s.pids].sort());
    expect(varz.workers.map((w) => w.connections).sort()).toEqual([a.length, b.length].sort());
    expect(varz.backplane.kind).toBe('cluster');
    const health = await get(base, '/healthz');
    expect([health.status, health.body.trim()]).toEqual([200, '{"status":"ok"}']);

    const top = await runCli(['top', base, '--once', '--interval', '200']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/workers 2 \(restarts 0\)/);
    expect(top.stdout).toMatch(new RegExp(`^connections ${open} `, 'm'));
  }, 30_000);
});
