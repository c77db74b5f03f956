/** DESIGN §6 / issue: 1–24 letters, digits, `_` or `-`. */
const NICK = /^[A-Za-z0-9_-]{1,24}$/;
/** Room names follow the same rule, with an optional leading `#` as IRC users type it. */
const ROOM = /^#?[A-Za-z0-9_-]{1,32}$/;

/**
 * The words the hub's own notices begin with. An action is `* nick text`, just like a notice, so a
 * member named `server` could `/me shutting down` and one named `you` could `/me are now admin`:
 * these nicks are not given out. (Notices whose first word ends in `:` — `history:`, `usage:` —
 * cannot be forged this way, since an action always has a space after the nick.)
 */
const RESERVED = new Set([
  'bye',
  'commands',
  'disconnected',
  'empty',
  'end',
  'history',
  'invalid',
  'line',
  'nick',
  'no',
  'nothing',
  'rooms',
  'server',
  'slow',
  'unknown',
  'usage',
  'welcome',
  'you',
]);

export function isValidNick(nick: string): boolean {
  return NICK.test(nick);
}

/** DESIGN §6, forged names: a nick that would make `/me` read like a server notice. */
export function isReservedNick(nick: string): boolean {
  return RESERVED.has(nickKey(nick));
}

/** The key under which a nick is unique: case does not make a new nick. */
export function nickKey(nick: string): string {
  return nick.toLowerCase();
}

/** The room name without its `#`, or undefined when it is not a valid name. */
export function normalizeRoom(name: string): string | undefined {
  return ROOM.test(name) ? name.replace(/^#/, '') : undefined;
}
