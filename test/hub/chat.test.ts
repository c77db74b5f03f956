import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { lineClient, type LineClient } from '../helpers/line-client.js';
import { startServer } from '../helpers/socket.js';

async function chat(query = '') {
  const server = await startServer(`chat@tcp://127.0.0.1:0${query}`);
  const port = server.listeners[0]!.port;
  /** A member who has read its greeting; optionally renamed. */
  const member = async (nick?: string): Promise<LineClient> => {
    const c = await lineClient(port);
    await c.expect(
      /^\* welcome to switchboard chat, guest-\d+! You are in lobby \(\d+ members?\)\. Type \/help/,
    );
    if (nick !== undefined) {
      c.send(`/nick ${nick}`);
      await c.expect(new RegExp(`^\\* you are now ${nick}$`));
    }
    return c;
  };
  return { server, port, member };
}

describe('chat hub', () => {
  it('relays a plain line to everyone else in the room, not back to the sender', async () => {
    const { member } = await chat();
    const alice = await member('alice');
    const bob = await member('bob');
    const carol = await member('carol');
    alice.send('hello room');
    await bob.expect(/^<alice> hello room$/);
    await carol.expect(/^<alice> hello room$/);
    bob.send('/who'); // a marker: anything alice got before its reply came before it
    await bob.expect(/^\* lobby: /);
    alice.send('/who');
    await alice.expect(/^\* lobby: alice, bob, carol \(3 members\)$/);
    expect(alice.lines.filter((l) => l.includes('hello room'))).toEqual([]);
  });

  it('gives every member the same order: 3 concurrent senders × 300 lines', async () => {
    const { member } = await chat('?flood=0');
    const senders = await Promise.all(['s1', 's2', 's3'].map((n) => member(n)));
    const watchers = await Promise.all(['w1', 'w2'].map((n) => member(n)));
    senders.forEach((s, i) => {
      for (let j = 0; j < 300; j++) s.send(`${i}:${j}`);
    });
    for (const w of watchers) await w.expect(/^<s\d> \d:299$/, 10_000);
    const relayed = (c: LineClient): string[] => c.lines.filter((l) => /^<s\d> /.test(l));
    await Promise.all(
      watchers.map(async (w) => {
        while (relayed(w).length < 900) await w.expect(/^<s\d> /, 10_000);
      }),
    );
    const [a, b] = watchers.map(relayed);
    expect(a).toHaveLength(900);
    expect(a).toEqual(b);
    for (let i = 0; i < 3; i++) {
      const own = a!.filter((l) => l.startsWith(`<s${i + 1}> `)).map((l) => Number(l.split(':')[1]));
      expect(own).toEqual(Array.from({ length: 300 }, (_, j) => j));
    }
  });

  it('strips control characters so nobody can forge a nick or clear screens', async () => {
    const { member } = await chat();
    const mallory = await member('mallory');
    const victim = await member('victim');
    mallory.send('\r<victim> fake confession');
    mallory.send('\x1b[2Jcleared\x07 \x00nul \u202Eesrever \x1b]0;title\x07done \x9b31mred');
    const forged = await victim.expect(/^<mallory> /);
    expect(forged).toBe('<mallory> <victim> fake confession');
    const cleaned = await victim.expect(/^<mallory> /);
    expect(cleaned).toBe('<mallory> cleared nul esrever done red');
    // eslint-disable-next-line no-control-regex
    expect(victim.lines.join('\n')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
  });

  it('keeps nicks unique regardless of case, and validated', async () => {
    const { member } = await chat();
    const alice = await member('Alice');
    const other = await member();
    other.send('/nick alice');
    await other.expect(/^\* nick alice is taken$/);
    other.send('/nick bad name!');
    await other.expect(/^\* nick 'bad name!' is invalid: use 1-24 letters, digits, _ or -$/);
    other.send(`/nick ${'x'.repeat(25)}`);
    await other.expect(/^\* nick '.*' is invalid/);
    other.send('/nick Guest-99'); // the server's own names are not for taking
    await other.expect(/^\* nick Guest-99 is reserved: guest-N names are given out by the server$/);
    other.send('/nick a1ice'); // a look-alike is the same nick
    await other.expect(/^\* nick a1ice is taken$/);
    alice.send('/nick ALICE');
    await alice.expect(/^\* you are now ALICE$/);
    await other.expect(/^\* Alice is now known as ALICE$/);
  });

  it('does not give out nicks that would make /me read like a server notice', async () => {
    const { member } = await chat();
    const mallory = await member('mallory');
    for (const nick of ['server', 'You', 'WELCOME', 'disconnected']) {
      mallory.send(`/nick ${nick}`);
      await mallory.expect(new RegExp(`^\\* nick ${nick} is reserved: it would read like a server notice$`));
    }
    const bob = await member('bob');
    mallory.send('/me waves');
    await bob.expect(/^<mallory> \* waves$/);
  });

  it('keeps actions apart from notices on the wire: /me cannot forge a leave, a rename or a join', async () => {
    const { member } = await chat();
    const alice = await member('alice');
    const bob = await member('bob');
    for (const forgery of ['left (quit: bye)', 'is now known as carol', 'joined lobby']) {
      alice.send(`/me ${forgery}`);
      expect(await bob.expect(/^<alice> /)).toBe(`<alice> * ${forgery}`);
    }
    alice.send('/quit bye');
    expect(await bob.expect(/^\* alice/)).toBe('* alice left (quit: bye)');
    // Only the real leave reads as a notice.
    expect(bob.lines.filter((l) => l.startsWith('* alice'))).toEqual(['* alice left (quit: bye)']);
  });

  it('/msg reaches only its target, showing the sender', async () => {
    const { member } = await chat();
    const alice = await member('alice');
    const bob = await member('bob');
    const eve = await member('eve');
    alice.send('/msg bob meet at noon');
    await bob.expect(/^\*alice\* meet at noon$/);
    await alice.expect(/^-> \*bob\* meet at noon$/);
    alice.send('/msg nobody hi');
    await alice.expect(/^\* no such nick: nobody$/);
    eve.send('/who');
    await eve.expect(/^\* lobby: /);
    expect(eve.lines.some((l) => l.includes('noon'))).toBe(false);
  });

  it('replays the recent history of a room to whoever joins, marked as history', async () => {
    const { member } = await chat('?history=3');
    const alice = await member('alice');
    for (const word of ['one', 'two', 'three', 'four']) alice.send(word);
    alice.send('/me waves');
    alice.send('/who');
    await alice.expect(/^\* lobby: alice/);
    const late = await lineClient((await chat()).port); // a member of another hub sees nothing of it
    await late.expect(/^\* welcome/);
    const bob = await member();
    await bob.expect(/^\* history: the last 3 messages in lobby$/);
    expect([
      await bob.expect(/^\[history\]/),
      await bob.expect(/^\[history\]/),
      await bob.expect(/^\[history\]/),
    ]).toEqual(['[history] <alice> three', '[history] <alice> four', '[history] <alice> * waves']);
    await bob.expect(/^\* end of history$/);
    expect(late.lines.some((l) => l.includes('history'))).toBe(false);
  });

  it('rooms: /join, /part, /rooms, joins and leaves announced', async () => {
    const { member } = await chat();
    const alice = await member('alice');
    const bob = await member('bob');
    alice.send('/join #dev');
    await alice.expect(/^\* you joined dev \(1 member\)$/);
    await bob.expect(/^\* alice left for dev$/);
    bob.send('/join dev');
    await alice.expect(/^\* bob joined dev$/);
    bob.send('in dev');
    await alice.expect(/^<bob> in dev$/);
    bob.send('/rooms');
    await bob.expect(/^\* rooms: lobby \(0\), dev \(2\)$/);
    bob.send('/part');
    await bob.expect(/^\* you left dev; \/join ROOM to talk again$/);
    await alice.expect(/^\* bob left$/);
    bob.send('anyone?');
    await bob.expect(/^\* you are not in a room; \/join ROOM first$/);
  });

  it('does not announce joins and leaves in rooms above the announce limit', async () => {
    const { member } = await chat('?announce=1');
    const first = await member('first');
    await member('second'); // joins a room of 1: announced
    await first.expect(/^\* guest-\d+ joined lobby$/);
    const third = await member('third'); // joins a room of 2, above the limit: quiet
    third.send('/quit');
    await third.closed;
    // The server may see the close a moment after the client does: ask until it has.
    for (let who = ''; !who.endsWith('(2 members)');) {
      first.send('/who');
      who = await first.expect(/^\* lobby: /);
    }
    expect(first.lines.filter((l) => /joined|left|known as/.test(l))).toEqual(['* guest-2 joined lobby']);
  });

  it('answers unknown commands, empty lines and over-long lines with notices, relaying nothing', async () => {
    const { member } = await chat('?maxMessage=16');
    const alice = await member('alice');
    const bob = await member('bob');
    alice.send('/dance');
    await alice.expect(/^\* unknown command \/dance; type \/help for the list$/);
    alice.send('');
    await alice.expect(/^\* empty line not sent$/);
    alice.send('  \t ');
    await alice.expect(/^\* empty line not sent$/);
    alice.send('\x1b[2J\x07');
    await alice.expect(/^\* nothing left to send after removing control characters$/);
    alice.send('x'.repeat(17));
    await alice.expect(/^\* line too long \(17 bytes, limit 16\); not sent$/);
    alice.send('/help');
    await alice.expect(/^\* {3}\/msg NICK text +send text to NICK alone$/);
    bob.send('/who');
    await bob.expect(/^\* lobby/);
    expect(bob.lines.some((l) => l.startsWith('<alice>'))).toBe(false);
  });

  it('delays lines over the flood limit with one notice: every line arrives, in order, nobody is cut', async () => {
    const { member } = await chat('?flood=20&burst=5');
    const spammer = await member('spammer');
    const bob = await member('bob');
    const started = performance.now();
    for (let i = 0; i < 25; i++) spammer.send(`spam ${i}`);
    await spammer.expect(/^\* slow down: over 20 lines a second; your lines are delayed, none is lost$/);
    await bob.expect(/^<spammer> spam 24$/, 10_000);
    // The burst of 5 covers '/nick spammer' too (commands count): 21 of the 25 lines waited 50 ms each.
    expect(performance.now() - started).toBeGreaterThanOrEqual(20 * 50 - 100);
    expect(bob.lines.filter((l) => l.startsWith('<spammer>'))).toEqual(
      Array.from({ length: 25 }, (_, i) => `<spammer> spam ${i}`),
    );
    expect(spammer.lines.filter((l) => l.startsWith('* slow down'))).toHaveLength(1);
    expect(spammer.socket.destroyed).toBe(false);
  });

  it('keeps one order in the room when a member is dropped for not reading', async () => {
    const { member, port } = await chat('?flood=0&history=0');
    const watchers = [await member('first'), await member('second')];
    const frozen = await lineClient(port);
    await frozen.expect(/^\* welcome/);
    frozen.socket.pause(); // from here on it reads nothing
    const sender = await member('sender');
    const line = 'y'.repeat(4000);
    // Bounded: 8,000 lines of 4 KB (32 MB) are far more than the frozen member's socket buffers
    // and its 1 MiB queue; the sender waits for its socket as a real client does.
    for (let i = 0; i < 8_000 && !watchers[0]!.lines.some((l) => / left \(too slow/.test(l)); i++) {
      if (!sender.socket.write(`${i} ${line}\n`)) await once(sender.socket, 'drain');
    }
    sender.send('/who'); // a marker: the sender's lines before it have all been relayed
    await sender.expect(/^\* lobby: /, 10_000);
    sender.send('last line');
    for (const w of watchers) {
      await w.expect(/^\* guest-\d+ left \(too slow \(\d+ bytes queued, limit 1048576\)\)$/, 10_000);
      await w.expect(/^<sender> last line$/, 10_000);
    }
    const roomLines = (c: LineClient) => c.lines.filter((l) => /^<sender> \d+ | left /.test(l));
    expect(roomLines(watchers[0]!)).toEqual(roomLines(watchers[1]!));
    expect(roomLines(watchers[0]!).filter((l) => l.startsWith('<sender>')).length).toBeGreaterThan(100);
  });

  it('/quit tells the room why, and closes', async () => {
    const { member } = await chat();
    const alice = await member('alice');
    const bob = await member('bob');
    alice.send('/quit off to lunch');
    await alice.expect(/^\* bye$/);
    await alice.closed;
    await bob.expect(/^\* alice left \(quit: off to lunch\)$/);
  });

  it('tells every member the server is shutting down, then closes', async () => {
    const { server, member } = await chat();
    const members = await Promise.all([member('a'), member('b')]);
    await server.close();
    for (const m of members) {
      await m.expect(/^\* server shutting down$/);
      await m.closed;
    }
  });

  it('shares one hub between listeners that name it: TCP and Unix members in one room', async () => {
    const path = join(tmpdir(), `sb-chat-hub-${process.pid}-${Date.now()}.sock`);
    onTestFinished(() => rm(path, { force: true }));
    const hub = `shared-${process.pid}-${Date.now()}`;
    const server = await startServer([
      `chat@tcp://127.0.0.1:0?hub=${hub}&maxMessage=16`,
      `chat@unix://${path}?hub=${hub}`,
    ]);
    const tcp = await lineClient(server.listeners[0]!.port);
    await tcp.expect(/^\* welcome to switchboard chat, guest-1! You are in lobby \(1 member\)/);
    const unix = await lineClient(path);
    await unix.expect(/^\* welcome to switchboard chat, guest-2! You are in lobby \(2 members\)/);
    unix.send('from the unix side');
    await tcp.expect(/^<guest-2> from the unix side$/);
    unix.send('/nick bob');
    await unix.expect(/^\* you are now bob$/);
    tcp.send('/nick BOB');
    await tcp.expect(/^\* nick BOB is taken$/); // one set of nicks
    // Limits stay per listener: 16 bytes on TCP, the 4 KiB default on the Unix socket.
    tcp.send('a line of more than sixteen bytes');
    await tcp.expect(/^\* line too long \(33 bytes, limit 16\); not sent$/);
    unix.send('a line of more than sixteen bytes');
    await tcp.expect(/^<bob> a line of more than sixteen bytes$/);
    await server.close();
    await tcp.expect(/^\* server shutting down$/);
    await unix.expect(/^\* server shutting down$/);
  });

  it('refuses listeners of one hub that disagree on its history or announce limit', async () => {
    const hub = `conflict-${process.pid}-${Date.now()}`;
    await expect(
      startServer([`chat@tcp://127.0.0.1:0?hub=${hub}`, `chat@tcp://127.0.0.1:0?hub=${hub}&history=5`]),
    ).rejects.toThrow(
      `chat: hub=${hub} already runs with history=50, this listener asks for history=5; give every listener of one hub the same history`,
    );
    await expect(startServer('chat@tcp://127.0.0.1:0?hub=no/slash')).rejects.toThrow(
      /hub=no\/slash is not a valid hub name/,
    );
  });

  it('refuses to run over udp', async () => {
    await expect(startServer('chat@udp://127.0.0.1:0')).rejects.toThrow(/chat needs connections/);
  });

  it('rejects unknown and malformed chat options, naming them', async () => {
    await expect(startServer('chat@tcp://127.0.0.1:0?flood=fast')).rejects.toThrow(
      'chat: flood=fast must be a whole number of at least 0',
    );
    await expect(startServer('chat@tcp://127.0.0.1:0?colour=red')).rejects.toThrow(/unknown option 'colour'/);
  });
});
