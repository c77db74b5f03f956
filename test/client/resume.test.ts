/**
 * The client half of resume (src/client/resume.ts), line by line: what is shown, what is held,
 * what is asked for. The server's side is test/hub/resume.test.ts; the two together over real
 * processes are test/cli/chat-resume.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NickReclaim } from '../../src/client/nick-reclaim.js';
import { ResumeTracker } from '../../src/client/resume.js';

const E = '9f3a01c2';
const tagged = (seq: number, text: string, epoch = E): string => `@seq=${seq};epoch=${epoch} ${text}`;

/** Feed lines; collect what is shown and what the tracker asks to send. */
function feed(tracker: ResumeTracker, lines: string[]): { show: string[]; send: string[] } {
  const out = { show: [] as string[], send: [] as string[] };
  for (const line of lines) {
    const step = tracker.receive(line);
    out.show.push(...step.show);
    out.send.push(...step.send);
  }
  return out;
}

/** A tracker that has connected, turned numbers on in the lobby at `seq`, and shown nothing else. */
function connected(seq = 0): ResumeTracker {
  const t = new ResumeTracker();
  feed(t, ['* welcome to switchboard chat, guest-1! You are in lobby (2 members). Type /help for commands.']);
  expect(t.resumeCommand()).toBeUndefined();
  expect(t.seqOn()).toBe('/seq on');
  const { show } = feed(t, [
    `* seq on: room lines start with @seq=N;epoch=E; lobby at @seq=${seq};epoch=${E}`,
  ]);
  expect(show).toEqual([]); // the reply to the client's own /seq on is not shown
  return t;
}

/** The connection drops and comes back: the new greeting, then the command to resume with. */
function reconnect(t: ResumeTracker): string | undefined {
  t.disconnected();
  feed(t, ['* welcome to switchboard chat, guest-9! You are in lobby (2 members). Type /help for commands.']);
  return t.resumeCommand();
}

describe('ResumeTracker', () => {
  it('shows live lines without their tags, each once: a number at or below the last is dropped', () => {
    const t = connected(3);
    const { show } = feed(t, [
      tagged(4, '<bob> four'),
      tagged(4, '<bob> four'),
      tagged(2, '<bob> two'),
      tagged(5, '<bob> * waves'),
      '*bob* private, never tagged',
      '* carol joined lobby',
    ]);
    expect(show).toEqual([
      '<bob> four',
      '<bob> * waves',
      '*bob* private, never tagged',
      '* carol joined lobby',
    ]);
    expect(t.position).toEqual({ room: 'lobby', epoch: E, seq: 5 });
  });

  it('a line of another epoch starts the count again', () => {
    const t = connected(40);
    const { show } = feed(t, [
      tagged(41, '<bob> old epoch'),
      '* lobby: its history was lost in Redis (epoch 9f3a01c2 ended at line 41; new epoch 0badcafe); numbering starts again',
      tagged(1, '<bob> new epoch', '0badcafe'),
      tagged(2, '<bob> and on', '0badcafe'),
    ]);
    expect(show.filter((l) => l.startsWith('<'))).toEqual([
      '<bob> old epoch',
      '<bob> new epoch',
      '<bob> and on',
    ]);
    expect(t.position).toEqual({ room: 'lobby', epoch: '0badcafe', seq: 2 });
  });

  it('after a reconnect: drops the untagged greeting history and live lines, shows exactly the recovery', () => {
    const t = connected(10);
    feed(t, [tagged(11, '<bob> eleven')]);
    t.disconnected();
    expect(t.isRecovering).toBe(true);
    const greeting = feed(t, [
      '* welcome to switchboard chat, guest-9! You are in lobby (2 members). Type /help for commands.',
      '* history: the last 2 messages in lobby',
      '[history] <bob> eleven',
      '[history] <bob> twelve',
      '* end of history',
      '<bob> thirteen, live but untagged',
    ]);
    expect(greeting.show).toEqual([
      '* welcome to switchboard chat, guest-9! You are in lobby (2 members). Type /help for commands.',
    ]);
    expect(t.resumeCommand()).toBe(`/resume lobby ${E} 11`);
    const recovery = feed(t, [
      tagged(12, '<bob> twelve'),
      tagged(13, '<bob> thirteen, live but untagged'),
      `* recovered 2 lines in lobby; now at @seq=13;epoch=${E}`,
      tagged(13, '<bob> thirteen, live but untagged'), // delivered live as well: a duplicate
      tagged(14, '<bob> fourteen'),
    ]);
    expect(recovery.show).toEqual([
      '<bob> twelve',
      '<bob> thirteen, live but untagged',
      `* recovered 2 lines in lobby; now at @seq=13;epoch=${E}`,
      '<bob> fourteen',
    ]);
    expect(t.isRecovering).toBe(false);
  });

  it('shows the gap notice the server sends, and goes on in the new epoch', () => {
    const t = connected(10);
    feed(t, [tagged(11, '<bob> eleven')]);
    reconnect(t);
    const { show } = feed(t, [
      tagged(1, '<bob> after the restart', '0badcafe'),
      "* cannot recover lobby: epoch 9f3a01c2 is gone (the room's history was lost); it is now epoch 0badcafe at line 1, and what was said after your line 11 is lost",
      '* recovered 1 line in lobby; now at @seq=1;epoch=0badcafe',
    ]);
    expect(show).toEqual([
      expect.stringMatching(/^\* cannot recover lobby: epoch 9f3a01c2 is gone/),
      '<bob> after the restart',
      '* recovered 1 line in lobby; now at @seq=1;epoch=0badcafe',
    ]);
    expect(t.position).toEqual({ room: 'lobby', epoch: '0badcafe', seq: 1 });
  });

  it('a recovery that did not fit: asks for the rest, and drops the live lines the rest repeats', () => {
    const t = connected(0);
    feed(t, [tagged(1, '<bob> 1')]);
    reconnect(t);
    const first = feed(t, [
      tagged(2, '<bob> 2'),
      tagged(3, '<bob> 3'),
      `* recovered 2 lines in lobby; now at @seq=3;epoch=${E}; 2 more lines did not fit your queue: /resume lobby ${E} 3 for the rest`,
      tagged(6, '<bob> 6'), // live, before the server reads the second /resume
    ]);
    expect(first.show).toEqual(['<bob> 2', '<bob> 3']);
    expect(first.send).toEqual([`/resume lobby ${E} 3`]);
    expect(t.isRecovering).toBe(true);
    const rest = feed(t, [
      tagged(4, '<bob> 4'),
      tagged(5, '<bob> 5'),
      tagged(6, '<bob> 6'),
      `* recovered 3 lines in lobby; now at @seq=6;epoch=${E}`,
      tagged(7, '<bob> 7'),
    ]);
    expect(rest.show).toEqual([
      '<bob> 4',
      '<bob> 5',
      '<bob> 6',
      `* recovered 3 lines in lobby; now at @seq=6;epoch=${E}`,
      '<bob> 7',
    ]);
  });

  it('resumes another room: the join it makes is shown, the position kept', () => {
    const t = connected(0);
    feed(t, [
      '* you joined dev (2 members)',
      `* dev at @seq=7;epoch=${E}`,
      tagged(7, '[history] <bob> seven'),
    ]);
    expect(t.position).toEqual({ room: 'dev', epoch: E, seq: 7 });
    expect(reconnect(t)).toBe(`/resume dev ${E} 7`);
    const { show } = feed(t, [
      '* you joined dev (2 members)',
      tagged(8, '<bob> eight'),
      `* recovered 1 line in dev; now at @seq=8;epoch=${E}`,
    ]);
    expect(show).toEqual([
      '* you joined dev (2 members)',
      '<bob> eight',
      `* recovered 1 line in dev; now at @seq=8;epoch=${E}`,
    ]);
    expect(t.position).toEqual({ room: 'dev', epoch: E, seq: 8 });
  });

  it('history on a join is shown as history, and does not move the position', () => {
    const t = connected(0);
    const { show } = feed(t, [
      '* you joined dev (2 members)',
      `* dev at @seq=2;epoch=${E}`,
      '* history: the last 2 messages in dev',
      tagged(1, '[history] <bob> one'),
      tagged(2, '[history] <bob> two'),
      '* end of history',
      tagged(3, '<bob> three'),
    ]);
    expect(show).toEqual([
      '* you joined dev (2 members)',
      '* history: the last 2 messages in dev',
      '[history] <bob> one',
      '[history] <bob> two',
      '* end of history',
      '<bob> three',
    ]);
  });

  it('does not show your own lines twice when a recovery holds them', () => {
    const t = connected(0);
    feed(t, ['* you are now alice']);
    t.sent('my own line');
    t.sent('/me waves');
    t.sent('/who');
    reconnect(t);
    const { show } = feed(t, [
      tagged(1, '<alice> my own line'),
      tagged(2, '<bob> an answer'),
      tagged(3, '<alice> * waves'),
      `* recovered 3 lines in lobby; now at @seq=3;epoch=${E}`,
    ]);
    expect(show).toEqual(['<bob> an answer', `* recovered 3 lines in lobby; now at @seq=3;epoch=${E}`]);
  });

  it('a tail lost by the backplane: the notice is shown, and numbering goes on above what was seen', () => {
    const t = connected(0);
    feed(t, [tagged(1, '<bob> 1'), tagged(2, '<bob> 2'), tagged(3, '<bob> 3')]);
    const { show } = feed(t, [
      '* lobby: lines 3-3 were lost by Redis (a failover or a restart from an older save); numbering goes on from 4',
      tagged(4, '<bob> 4'),
    ]);
    expect(show).toEqual([expect.stringMatching(/^\* lobby: lines 3-3 were lost/), '<bob> 4']);
  });

  it('a client ahead of the node it resumes on: the lines it saw, delivered late, are not shown again', () => {
    const t = connected(0);
    feed(t, [tagged(1, '<bob> 1'), tagged(2, '<bob> 2')]);
    reconnect(t);
    const { show } = feed(t, [
      `* recovered 0 lines in lobby; now at @seq=2;epoch=${E}`,
      tagged(2, '<bob> 2'),
      tagged(3, '<bob> 3'),
    ]);
    expect(show).toEqual([`* recovered 0 lines in lobby; now at @seq=2;epoch=${E}`, '<bob> 3']);
  });

  it('a room that has numbered nothing yet (no epoch): the first line sets the position', () => {
    const t = new ResumeTracker();
    feed(t, [
      '* welcome to switchboard chat, guest-1! You are in lobby (1 member). Type /help for commands.',
    ]);
    t.seqOn();
    expect(feed(t, ['* seq on: room lines start with @seq=N;epoch=E; lobby at @seq=0;epoch=']).show).toEqual(
      [],
    );
    expect(t.position).toBeUndefined();
    t.disconnected();
    expect(t.isRecovering).toBe(false); // nothing to resume: the caller joins as before
    feed(t, [
      '* welcome to switchboard chat, guest-2! You are in lobby (1 member). Type /help for commands.',
    ]);
    expect(t.resumeCommand()).toBeUndefined();
    t.seqOn();
    feed(t, [
      '* seq on: room lines start with @seq=N;epoch=E; lobby at @seq=0;epoch=',
      tagged(1, '<bob> first'),
    ]);
    expect(t.position).toEqual({ room: 'lobby', epoch: E, seq: 1 });
  });

  it('/seq off typed by hand: nothing to resume from after a reconnect', () => {
    const t = connected(0);
    feed(t, [tagged(1, '<bob> 1'), '* seq off: room lines are untagged', '<bob> 2']);
    expect(t.position).toBeUndefined();
    expect(reconnect(t)).toBeUndefined();
  });

  it('a server that does not know /resume: says so, and lines flow again', () => {
    const t = connected(0);
    feed(t, [tagged(1, '<bob> 1')]);
    reconnect(t);
    const { show } = feed(t, ['* unknown command /resume; type /help for the list', '<bob> untagged']);
    expect(show).toEqual(['* unknown command /resume; type /help for the list', '<bob> untagged']);
    expect(t.isRecovering).toBe(false);
  });

  it('abandon() shows what was held, once', () => {
    const t = connected(0);
    feed(t, [tagged(1, '<bob> 1')]);
    t.disconnected();
    t.resumeCommand();
    feed(t, [tagged(1, '<bob> 1'), tagged(2, '<bob> 2')]);
    expect(t.abandon().show).toEqual(['<bob> 2']);
  });
});

describe('NickReclaim', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks again in the background while the nick is held, tells once, hides the answers to its asks', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const told: string[] = [];
    const reclaim = new NickReclaim({
      send: (l) => sent.push(l),
      tell: (t) => told.push(t),
      intervalMs: 1000,
    });
    reclaim.start('carol');
    expect(sent).toEqual(['/nick carol']);
    expect(reclaim.onNotice('nick carol is taken')).toBe(false); // the first answer is shown
    expect(told).toEqual([expect.stringMatching(/^nick carol is still held for your previous connection/)]);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual(['/nick carol', '/nick carol']);
    expect(reclaim.onNotice('nick carol is taken')).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(reclaim.onNotice('you are now carol')).toBe(false);
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(3);
    expect(told).toHaveLength(1);
  });

  it('gives up after giveUpMs, and stops when the user picks a nick', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const told: string[] = [];
    const reclaim = new NickReclaim({
      send: (l) => sent.push(l),
      tell: (t) => told.push(t),
      intervalMs: 1000,
      giveUpMs: 2500,
    });
    reclaim.start('carol');
    for (let i = 0; i < 5; i++) {
      reclaim.onNotice('nick carol is taken');
      vi.advanceTimersByTime(1000);
    }
    expect(told.at(-1)).toBe('nick carol is still taken; no longer asking for it (/nick carol to try again)');
    expect(sent).toHaveLength(3);
    reclaim.start('dave');
    reclaim.onNotice('nick dave is taken');
    reclaim.stop();
    vi.advanceTimersByTime(5000);
    expect(sent.at(-1)).toBe('/nick dave');
  });
});
