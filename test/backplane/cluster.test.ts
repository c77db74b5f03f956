import { describe, expect, it } from 'vitest';
import type { BackplaneEvents, SequencedLine } from '../../src/backplane/backplane.js';
import { ClusterBackplane, type ClusterChannel } from '../../src/backplane/cluster.js';
import {
  isBatch,
  type Batch,
  type PrimaryMessage,
  type WorkerRequest,
} from '../../src/backplane/cluster-messages.js';
import { ClusterPrimary, type WorkerLink } from '../../src/backplane/cluster-primary.js';
import { BackplaneUnavailableError } from '../../src/errors.js';
import { lineClient, type LineClient } from '../helpers/line-client.js';
import { startServer } from '../helpers/socket.js';

/** Through JSON, a turn later, in order: what node:cluster's IPC does to a message. */
function ipc<T>(message: T, deliver: (copy: T) => void): void {
  const copy = JSON.parse(JSON.stringify(message)) as T;
  setImmediate(() => deliver(copy));
}

/** A worker's channel to `primary`, in this process; `die()` is what the primary sees on `exit`. */
function channelTo(primary: ClusterPrimary, name: string): ClusterChannel & { die(): void } {
  let receive: ((message: unknown) => void) | undefined;
  let alive = true;
  const link: WorkerLink = {
    name,
    send: (message: PrimaryMessage | Batch<PrimaryMessage>) => ipc(message, (m) => receive?.(m)),
  };
  return {
    get connected() {
      return alive;
    },
    send: (message: WorkerRequest | Batch<WorkerRequest>) =>
      ipc(message, (m) => alive && primary.receive(link, m)),
    listen(onMessage) {
      receive = onMessage;
      return () => (receive = undefined);
    },
    die() {
      alive = false;
      receive = undefined;
      primary.detach(link);
    },
  };
}

/** A chat server on its own cluster backplane: one "worker" of `primary`. */
async function node(primary: ClusterPrimary, name: string, query = '') {
  const channel = channelTo(primary, name);
  const backplane = new ClusterBackplane({ node: name, channel });
  const server = await startServer(`chat@tcp://127.0.0.1:0${query}`, { backplane });
  const port = server.listeners[0]!.port;
  const member = async (nick: string): Promise<LineClient> => {
    const c = await lineClient(port);
    await c.expect(/^\* welcome/);
    c.send(`/nick ${nick}`);
    await c.expect(new RegExp(`^\\* you are now ${nick}$`));
    return c;
  };
  return { channel, backplane, server, member };
}

describe('cluster backplane, two workers in one process (DESIGN §8)', () => {
  it('gives members on both workers one order of 3 × 300 lines sent at once, none lost', async () => {
    const primary = new ClusterPrimary({ permanentRooms: ['lobby'] });
    const a = await node(primary, 'a', '?flood=0');
    const b = await node(primary, 'b', '?flood=0');
    const senders = [await a.member('s1'), await b.member('s2'), await a.member('s3')];
    const watchers = [await a.member('wa'), await b.member('wb')];
    senders.forEach((s, i) => s.socket.write(Array.from({ length: 300 }, (_, j) => `${i}:${j}\n`).join('')));
    const relayed = (c: LineClient): string[] => c.lines.filter((l) => /^<s\d> \d+:\d+$/.test(l));
    for (const w of watchers) await expect.poll(() => relayed(w).length, { timeout: 15_000 }).toBe(900);
    expect(relayed(watchers[0]!)).toEqual(relayed(watchers[1]!));
    for (let i = 0; i < 3; i++) {
      const own = relayed(watchers[0]!).filter((l) => l.startsWith(`<s${i + 1}> `));
      expect(own.map((l) => Number(l.split(':')[1]))).toEqual(Array.from({ length: 300 }, (_, j) => j));
    }
    expect(primary.counts.lines).toBe(900);
  });

  it('keeps nicks unique across workers, lists and reaches members of both, and frees a dead worker’s nicks at once', async () => {
    const primary = new ClusterPrimary({ permanentRooms: ['lobby'] });
    const a = await node(primary, 'a');
    const b = await node(primary, 'b');
    const alice = await a.member('alice');
    const bob = await b.member('bob');
    const other = await lineClient(b.server.listeners[0]!.port);
    await other.expect(/^\* welcome/);
    other.send('/nick ALICE');
    await other.expect(/^\* nick ALICE is taken$/);

    bob.send('/who');
    await bob.expect(/^\* lobby: .*\b(alice)\b.*\(3 members\)$/);
    bob.send('/msg alice psst');
    await alice.expect(/^\*bob\* psst$/);

    a.channel.die();
    other.send('/nick alice');
    await other.expect(/^\* you are now alice$/);
    bob.send('/who');
    await bob.expect(/^\* lobby: bob, alice \(2 members\)$/);
  });

  it('replays a room’s history, said on one worker, to a joiner on the other', async () => {
    const primary = new ClusterPrimary({ permanentRooms: ['lobby'] });
    const a = await node(primary, 'a');
    const b = await node(primary, 'b');
    const alice = await a.member('alice');
    alice.send('/join den');
    await alice.expect(/^\* you joined den/);
    alice.send('first');
    alice.send('second');
    alice.send('/who'); // its answer comes after both lines were numbered
    await alice.expect(/^\* den: alice/);
    const bob = await b.member('bob');
    bob.send('/join den');
    await bob.expect(/^\* history: the last 2 messages in den$/);
    await bob.expect(/^\[history\] <alice> first$/);
    await bob.expect(/^\[history\] <alice> second$/);
  });
});

/** Requests go out at the end of the current run of code (Outbox): let them. */
const sentOut = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('cluster backplane, its promises at the edges', () => {
  const events = (): BackplaneEvents & { got: string[] } => {
    const got: string[] = [];
    return {
      got,
      line: (room, line) => got.push(`line ${room} ${line.seq}`),
      epoch: (room, epoch) => got.push(`epoch ${room} ${epoch}`),
      lost: (room, detail) => got.push(`lost ${room}: ${detail}`),
      node: (m) => got.push(`node ${m.type}`),
      nickLost: (key) => got.push(`nick lost ${key}`),
      state: (up) => got.push(`state ${up}`),
    };
  };

  /**
   * A worker's backplane whose primary is the test: `sent` is what it asked (batches flattened),
   * `receive` answers it. Its hub is open. A 50 ms timeout: nothing need answer its close.
   */
  const scripted = async () => {
    const sent: WorkerRequest[] = [];
    let deliver: ((m: unknown) => void) | undefined;
    const channel: ClusterChannel = {
      connected: true,
      send: (m) => sent.push(...(isBatch(m) ? m.messages : [m])),
      listen: (onMessage) => ((deliver = onMessage), () => undefined),
    };
    const plane = new ClusterBackplane({ node: 'w', channel, timeoutMs: 50 });
    await plane.start();
    const receive = (m: unknown): void => deliver!(m);
    const hub = plane.hub('default', { historyLength: 10 });
    const e = events();
    const opened = hub.open(e);
    await sentOut();
    receive({ sb: 'bp', op: 'reply', id: (sent[0] as { id: number }).id, value: null });
    await opened;
    return { sent, receive, plane, hub, e };
  };

  it('refuses a line the primary does not answer in time, and the primary refuses it when it comes late', async () => {
    const { sent, receive, plane, hub, e } = await scripted();

    const started = performance.now();
    const publish = hub.publish('lobby', { kind: 'say', nick: 'n', text: 't', node: 'w', member: 1 });
    await expect(publish).rejects.toBeInstanceOf(BackplaneUnavailableError);
    await expect(publish).rejects.toThrow(/no answer within 50 ms/);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(hub.up).toBe(false);
    expect(e.got).toContain('state false');
    // While it does not answer, lines are refused at once, not queued.
    await expect(
      hub.publish('lobby', { kind: 'say', nick: 'n', text: 't', node: 'w', member: 1 }),
    ).rejects.toThrow(/no answer/);

    // The late request reaches the primary: refused, not numbered.
    const primary = new ClusterPrimary();
    const replies: PrimaryMessage[] = [];
    const link: WorkerLink = { name: 'w', send: (m) => replies.push(...(isBatch(m) ? m.messages : [m])) };
    primary.receive(link, sent[0]!); // open
    primary.receive(link, {
      sb: 'bp',
      op: 'watch',
      id: 90,
      dl: Date.now() + 1000,
      hub: 'default',
      room: 'lobby',
    });
    primary.receive(link, sent[1]!);
    await sentOut();
    expect(replies.at(-1)).toEqual({
      sb: 'bp',
      op: 'reply',
      id: (sent[1] as { id: number }).id,
      error: 'the cluster primary answered too late',
    });
    expect(primary.counts).toEqual({ lines: 0, expired: 1 });

    // It answers again (a ping's reply): lines go through again.
    await expect.poll(() => sent.some((m) => m.op === 'ping')).toBe(true);
    const ping = sent.find((m) => m.op === 'ping') as { id: number };
    receive({ sb: 'bp', op: 'reply', id: ping.id, value: null });
    expect(hub.up).toBe(true);
    expect(e.got).toContain('state true');
    await plane.close();
  });

  it('says so when a room’s numbers jump, rather than go on silently', async () => {
    const { sent, receive, plane, hub, e } = await scripted();
    const watched = hub.watch('lobby') as Promise<unknown>;
    await sentOut();
    receive({
      sb: 'bp',
      op: 'reply',
      id: (sent[1] as { id: number }).id,
      value: { epoch: 'e1', top: 4, lines: [] },
    });
    await watched;
    await new Promise((resolve) => setImmediate(resolve));
    const line = (seq: number): SequencedLine => ({
      kind: 'say',
      nick: 'x',
      text: 't',
      node: 'v',
      member: 1,
      epoch: 'e1',
      seq,
    });
    for (const seq of [4, 5, 6, 9, 10])
      receive({ sb: 'bp', op: 'line', hub: 'default', room: 'lobby', line: line(seq) });
    expect(e.got).toEqual([
      'line lobby 5',
      'line lobby 6',
      expect.stringMatching(/^lost lobby: lines 7-8 did not reach this worker/),
      'line lobby 9',
      'line lobby 10',
    ]);
    expect(plane.counts.lost).toBe(2);
    await plane.close();
  });
});
