/**
 * The two notices the page reads for its side panels: the `/who` reply (`lobby: alice, bob and 3
 * more (5 members)`) and the `/rooms` reply (`rooms: lobby (2), dev (1)`). They are written in
 * hub.ts rather than in src/hub/protocol.ts, which has no parser for them yet; these two belong
 * there, next to their builders, once the hub's owner moves the builders (DESIGN §6 "protocol text
 * lives in one module"). Everything else the page reads goes through protocol.ts.
 */

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
