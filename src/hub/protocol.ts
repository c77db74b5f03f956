/**
 * The chat protocol's text (DESIGN §6), in one place: a builder and a parser for every line kind the
 * server writes, used by the hub, the chat client and the web page alike (IRC servers keep their
 * numerics in one table the same way). Plain `nc` users read these lines as they are.
 *
 * Line kinds, by their first characters:
 * - `<alice> hello` — a room line; `<alice> * waves` — an action (`/me waves`)
 * - `*alice* psst` — a private message to you; `-> *bob* psst` — your own, echoed
 * - `* text` — a server notice (only the server writes lines starting with `* `)
 * - `[history] <alice> hello` — a room line replayed on join
 */

export const NOTICE_PREFIX = '* ';
export const HISTORY_PREFIX = '[history] ';
const ACTION_MARK = '* ';

// ---- builders (the hub) --------------------------------------------------------------------------

export function roomLine(nick: string, text: string): string {
  return `<${nick}> ${text}`;
}

/** `/me waves` as `<alice> * waves`: it starts with its author, so it never reads like a notice. */
export function actionLine(nick: string, text: string): string {
  return `<${nick}> ${ACTION_MARK}${text}`;
}

/** A room line as data (what the backplane carries), as text. */
export function roomText(line: {
  readonly kind: 'say' | 'action';
  readonly nick: string;
  readonly text: string;
}): string {
  return line.kind === 'action' ? actionLine(line.nick, line.text) : roomLine(line.nick, line.text);
}

/**
 * The tag a member that asked for numbers (`/seq on`) sees before each room line, in the manner of
 * IRCv3 message tags: `@seq=42;epoch=9f3a01c2 <alice> hello`. Plain members never see it.
 */
export function seqTag(epoch: string, seq: number): string {
  return `@seq=${seq};epoch=${epoch} `;
}

/** Where a room's numbering stands, for a member with `/seq on`: `lobby at @seq=42;epoch=9f3a01c2`. */
export function positionText(room: string, epoch: string, seq: number): string {
  return `${room} at @seq=${seq};epoch=${epoch}`;
}

/** After `/resume`: `recovered 12 lines in lobby; now at @seq=54;epoch=9f3a01c2`. */
export function recoveredText(n: number, room: string, epoch: string, seq: number): string {
  return `recovered ${plural(n, 'line')} in ${room}; now at @seq=${seq};epoch=${epoch}`;
}

/** The reply to `/seq on`; `position` is where the member's room stands (positionText). */
export function seqOnText(position: string | undefined): string {
  return `seq on: room lines start with @seq=N;epoch=E${position === undefined ? '' : `; ${position}`}`;
}

export const SEQ_OFF_TEXT = 'seq off: room lines are untagged';

/** A recovery that did not fit the member's queue: where to resume for the rest. */
export function partialRecoveryText(
  n: number,
  room: string,
  epoch: string,
  seq: number,
  rest: number,
): string {
  return `${recoveredText(n, room, epoch, seq)}; ${plural(rest, 'more line')} did not fit your queue: /resume ${room} ${epoch} ${seq} for the rest`;
}

export function nickTakenText(nick: string): string {
  return `nick ${nick} is taken`;
}

export function historyText(n: number, room: string, older: number): string {
  const left = older > 0 ? `; ${plural(older, 'older one')} would not fit your queue` : '';
  return `history: the last ${plural(n, 'message')} in ${room}${left}`;
}

export const END_OF_HISTORY_TEXT = 'end of history';

export function unknownCommandText(name: string): string {
  return `unknown command /${name}; type /help for the list`;
}

export function cannotJoinText(room: string, why: string): string {
  return `cannot join ${room}: ${why}; /join ${room} to try again`;
}

/** The `/who` reply: `lobby: alice, bob and 3 more (5 members)`. */
export function whoText(room: string, nicks: readonly string[], total: number): string {
  const more = total - nicks.length;
  return `${room}: ${nicks.join(', ')}${more > 0 ? ` and ${more} more` : ''} (${plural(total, 'member')})`;
}

/** The `/rooms` reply: `rooms: lobby (2), dev (1) and 4 more`. */
export function roomsText(rooms: ReadonlyArray<readonly [string, number]>, total: number): string {
  const more = total - rooms.length;
  return `rooms: ${rooms.map(([name, n]) => `${name} (${n})`).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

// Presence, as the members of a room read it.
export const joinedRoom = (nick: string, room: string): string => `${nick} joined ${room}`;
export const leftFor = (nick: string, room: string): string => `${nick} left for ${room}`;
export const leftRoom = (nick: string, why?: string): string =>
  why === undefined ? `${nick} left` : `${nick} left (${why})`;
export const renamedIn = (old: string, nick: string): string => `${old} is now known as ${nick}`;

export function privateFrom(nick: string, text: string): string {
  return `*${nick}* ${text}`;
}

export function privateEcho(toNick: string, text: string): string {
  return `-> *${toNick}* ${text}`;
}

export function notice(text: string): string {
  return `${NOTICE_PREFIX}${text}`;
}

export function welcomeText(nick: string, room: string, members: number): string {
  return `welcome to switchboard chat, ${nick}! You are in ${room} (${plural(members, 'member')}). Type /help for commands.`;
}

export function renamedText(nick: string): string {
  return `you are now ${nick}`;
}

export function joinedText(room: string, members: number): string {
  return `you joined ${room} (${plural(members, 'member')})`;
}

export function leftText(room: string): string {
  return `you left ${room}; /join ROOM to talk again`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// ---- parsers (the clients) -----------------------------------------------------------------------

/** One line from the server, classified. */
export type ChatLine =
  | {
      kind: 'line';
      nick: string;
      text: string;
      action: boolean;
      history: boolean;
      /** With `/seq on`: the line's number and epoch. */
      seq?: { epoch: string; seq: number };
    }
  | { kind: 'private'; from: string; text: string }
  | { kind: 'private-echo'; to: string; text: string }
  | { kind: 'notice'; text: string; history: boolean }
  | { kind: 'other'; text: string };

const ROOM_LINE = /^<([^>\s]+)> (.*)$/s;
const PRIVATE_FROM = /^\*([^*\s]+)\* (.*)$/s;
const PRIVATE_ECHO = /^-> \*([^*\s]+)\* (.*)$/s;

const SEQ_TAG = /^@seq=(\d+);epoch=([0-9a-f]+) /;

export function parseLine(input: string): ChatLine {
  const tag = SEQ_TAG.exec(input);
  const raw = tag === null ? input : input.slice(tag[0].length);
  const history = raw.startsWith(HISTORY_PREFIX);
  const line = history ? raw.slice(HISTORY_PREFIX.length) : raw;
  if (line.startsWith(NOTICE_PREFIX))
    return { kind: 'notice', text: line.slice(NOTICE_PREFIX.length), history };
  const room = ROOM_LINE.exec(line);
  if (room !== null) {
    const text = room[2]!;
    const action = text.startsWith(ACTION_MARK);
    return {
      kind: 'line',
      nick: room[1]!,
      text: action ? text.slice(ACTION_MARK.length) : text,
      action,
      history,
      ...(tag !== null && { seq: { epoch: tag[2]!, seq: Number(tag[1]) } }),
    };
  }
  const echo = PRIVATE_ECHO.exec(line);
  if (echo !== null) return { kind: 'private-echo', to: echo[1]!, text: echo[2]! };
  const from = PRIVATE_FROM.exec(line);
  if (from !== null) return { kind: 'private', from: from[1]!, text: from[2]! };
  return { kind: 'other', text: input };
}

const WELCOME = /^welcome to switchboard chat, (\S+)! You are in (\S+) /;
const RENAMED = /^you are now (\S+)$/;
const JOINED = /^you joined (\S+) /;
const LEFT = /^you left (\S+);/;
const POSITION = /^(\S+) at @seq=(\d+);epoch=([0-9a-f]+)$/;
const RECOVERED = /^recovered (\d+) lines? in (\S+); now at @seq=(\d+);epoch=([0-9a-f]+)/;

/** What a notice says about the reader itself, if anything: the state a client keeps. */
export type SelfNotice =
  | { kind: 'welcome'; nick: string; room: string }
  | { kind: 'renamed'; nick: string }
  | { kind: 'joined'; room: string }
  | { kind: 'left'; room: string }
  /** Where the room's numbering stands (after `/seq on`, on joining, after `/resume`). */
  | { kind: 'position'; room: string; epoch: string; seq: number; recovered?: number };

export function parseSelfNotice(noticeText: string): SelfNotice | undefined {
  let m = WELCOME.exec(noticeText);
  if (m !== null) return { kind: 'welcome', nick: m[1]!, room: m[2]! };
  m = RENAMED.exec(noticeText);
  if (m !== null) return { kind: 'renamed', nick: m[1]! };
  m = JOINED.exec(noticeText);
  if (m !== null) return { kind: 'joined', room: m[1]! };
  m = LEFT.exec(noticeText);
  if (m !== null) return { kind: 'left', room: m[1]! };
  m = POSITION.exec(noticeText);
  if (m !== null) return { kind: 'position', room: m[1]!, seq: Number(m[2]), epoch: m[3]! };
  m = RECOVERED.exec(noticeText);
  if (m !== null) {
    return { kind: 'position', room: m[2]!, seq: Number(m[3]), epoch: m[4]!, recovered: Number(m[1]) };
  }
  return undefined;
}

// Notices a resuming client must read (src/client/resume.ts, nick-reclaim.ts), parsed here next to
// their builders above.

const SEQ_ON = /^seq on: room lines start with @seq=N;epoch=E(?:; (.*))?$/;
const MORE_TO_RECOVER = /did not fit your queue: \/resume (\S+) ([0-9a-f]+) (\d+) for the rest$/;
const NICK_TAKEN = /^nick (\S+) is taken$/;
/** A resume the server will not answer with `recovered`: an old server, or the room cannot be had. */
const RESUME_REFUSED = /^(unknown command \/resume\b|usage: \/resume |cannot join \S+: )/;
const HISTORY_NOTICE = /^(history: |end of history$)/;

/**
 * The reply to `/seq on`, with its position part (`lobby at @seq=42;epoch=…`) when the member is in
 * a room; undefined if the notice is something else.
 */
export function seqOnReply(text: string): { position: string | undefined } | undefined {
  const m = SEQ_ON.exec(text);
  return m === null ? undefined : { position: m[1] };
}

/** The reply to `/seq off`: lines come without numbers from then on. */
export function isSeqOff(text: string): boolean {
  return text === SEQ_OFF_TEXT;
}

/** The `/resume ROOM EPOCH SEQ` a partial recovery asks for, if the notice says there is more. */
export function moreToRecover(text: string): { room: string; epoch: string; seq: number } | undefined {
  const m = MORE_TO_RECOVER.exec(text);
  return m === null ? undefined : { room: m[1]!, epoch: m[2]!, seq: Number(m[3]) };
}

/** `nick NAME is taken`: NAME. */
export function nickTaken(text: string): string | undefined {
  return NICK_TAKEN.exec(text)?.[1];
}

export function resumeRefused(text: string): boolean {
  return RESUME_REFUSED.test(text);
}

/** `history: the last N messages in ROOM` or `end of history`. */
export function isHistoryNotice(text: string): boolean {
  return HISTORY_NOTICE.test(text);
}

// The `/who` and `/rooms` replies, read by the web page for its side panels.

export interface WhoReply {
  readonly room: string;
  readonly nicks: readonly string[];
  /** Members beyond the listed ones (the hub lists the first 100). */
  readonly more: number;
  readonly total: number;
}

export interface RoomEntry {
  readonly name: string;
  readonly members: number;
}

const WHO = /^(\S+): (.*?)(?: and (\d+) more)? \((\d+) members?\)$/;
const ROOMS = /^rooms: (.*?)(?: and \d+ more)?$/;
const ROOM_ENTRY = /^(\S+) \((\d+)\)$/;

export function parseWho(noticeText: string): WhoReply | undefined {
  const m = WHO.exec(noticeText);
  if (m === null || m[1] === 'rooms') return undefined;
  const nicks = m[2]!.split(', ').filter((n) => n !== '');
  if (nicks.some((n) => /\s/.test(n))) return undefined;
  return { room: m[1]!, nicks, more: Number(m[3] ?? 0), total: Number(m[4]) };
}

export function parseRooms(noticeText: string): RoomEntry[] | undefined {
  const m = ROOMS.exec(noticeText);
  if (m === null) return undefined;
  const entries: RoomEntry[] = [];
  for (const item of m[1]!.split(', ')) {
    const e = ROOM_ENTRY.exec(item);
    if (e === null) return undefined;
    entries.push({ name: e[1]!, members: Number(e[2]) });
  }
  return entries;
}
