import { describe, expect, it } from 'vitest';
import { chatMember, type LineClient } from '../helpers/line-client.js';
import { startServer } from '../helpers/socket.js';

async function chat(query = '?flood=0') {
  const server = await startServer(`chat@tcp://127.0.0.1:0${query}`);
  const port = server.listeners[0]!.port;
  const member = (nick: string): Promise<LineClient> => chatMember(port, nick);
  return { server, member };
}

const TAGGED = /^@seq=(\d+);epoch=([0-9a-f]+) <(\S+)> (.*)$/;

/** Send `n` numbered lines as `who` and wait until `watcher` has the last. */
async function say(who: LineClient, watcher: LineClient, prefix: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) who.send(`${prefix} ${i}`);
  await watcher.expect(new RegExp(`${prefix} ${n}$`));
}

describe('numbered lines and resume (DESIGN §6)', () => {
  it('/seq on tags room lines with their numbers; plain members see the lines as before', async () => {
    const { member } = await chat();
    const alice = await member('alice');
    const plain = await member('plain');
    const tagged = await member('tagged');
    tagged.send('/seq on');
    const on = await tagged.expect(/^\* seq on: /);
    expect(on).toMatch(/lobby at @seq=0;epoch=[0-9a-f]+$/);
    await say(alice, tagged, 'line', 3);
    await plain.expect(/^<alice> line 3$/);
    const got = tagged.lines.filter((l) => TAGGED.test(l)).map((l) => TAGGED.exec(l)!.slice(1, 5));
    expect(got.map((g) => [g[0], g[2], g[3]])).toEqual([
      ['1', 'alice', 'line 1'],
      ['2', 'alice', 'line 2'],
      ['3', 'alice', 'line 3'],
    ]);
    expect(new Set(got.map((g) => g[1])).size).toBe(1);
    expect(plain.lines.filter((l) => l.includes('line '))).toEqual([
      '<alice> line 1',
      '<alice> line 2',
      '<alice> line 3',
    ]);
  });

  it('a member back from away gets exactly the lines it missed, then "recovered N lines"', async () => {
    const { member } = await chat();
    const alice = await member('alice');
    const bob = await member('bob');
    bob.send('/seq on');
    await say(alice, bob, 'before', 4);
    const last = TAGGED.exec(bob.lines.findLast((l) => TAGGED.test(l))!)!;
    bob.close();
    const carol = await member('carol');
    await say(alice, carol, 'missed', 5);
    const back = await member('bob2');
    back.send(`/resume lobby ${last[2]} ${last[1]}`);
    const done = await back.expect(/^\* recovered /);
    expect(done).toBe(`* recovered 5 lines in lobby; now at @seq=9;epoch=${last[2]}`);
    const start = back.lines.findIndex((l) => l.startsWith('* you are now bob2'));
    const replayed = back.lines.slice(start).filter((l) => TAGGED.test(l));
    expect(replayed.map((l) => TAGGED.exec(l)![1])).toEqual(['5', '6', '7', '8', '9']);
    expect(replayed.map((l) => TAGGED.exec(l)![4])).toEqual([1, 2, 3, 4, 5].map((i) => `missed ${i}`));
    // And live lines go on, tagged, after the recovery.
    alice.send('after');
    expect(await back.expect(/after$/)).toBe(`@seq=10;epoch=${last[2]} <alice> after`);
  });

  it('names the gap it cannot fill: lines no longer kept, or an epoch that is gone', async () => {
    const { member } = await chat('?flood=0&recover=10&history=5');
    const alice = await member('alice');
    const bob = await member('bob');
    bob.send('/seq on');
    const epoch = /epoch=([0-9a-f]+)$/.exec(await bob.expect(/^\* seq on/))![1]!;
    await say(alice, bob, 'n', 25);
    bob.send(`/resume lobby ${epoch} 3`);
    expect(await bob.expect(/^\* cannot recover/)).toBe(
      '* cannot recover lobby: lines 4-15 are no longer kept (the last 10 lines are)',
    );
    expect(await bob.expect(/^\* recovered/)).toBe(
      `* recovered 10 lines in lobby; now at @seq=25;epoch=${epoch}`,
    );
    bob.send('/resume lobby 00000000 7');
    expect(await bob.expect(/^\* cannot recover/)).toMatch(
      new RegExp(`^\\* cannot recover lobby: epoch 00000000 is gone .* now epoch ${epoch} at line 25`),
    );
    await bob.expect(/^\* recovered 5 lines in lobby/);
  });

  it('resumes another room: leaves the current one and joins it', async () => {
    const { member } = await chat();
    const alice = await member('alice');
    alice.send('/join dev');
    await alice.expect(/you joined dev/);
    const bob = await member('bob');
    bob.send('/join dev');
    await bob.expect(/you joined dev/);
    bob.send('/seq on');
    const epoch = /epoch=([0-9a-f]+)$/.exec(await bob.expect(/^\* seq on/))![1]!;
    await say(alice, bob, 'd', 2);
    bob.send('/join lobby');
    await bob.expect(/you joined lobby/);
    alice.send('d 3');
    alice.send('/who'); // its answer comes after the line was numbered
    await alice.expect(/^\* dev: alice \(1 member\)$/);
    bob.send(`/resume dev ${epoch} 2`);
    await bob.expect(/^\* you joined dev/);
    expect(await bob.expect(/^@seq=3;/)).toBe(`@seq=3;epoch=${epoch} <alice> d 3`);
    await bob.expect(/^\* recovered 1 line in dev/);
  });
});
