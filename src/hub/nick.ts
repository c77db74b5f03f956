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

/** Nicks the hub gives out itself (`guest-1`): nobody can take one, so nobody can pose as a guest. */
export const GUEST_PREFIX = 'guest-';

/**
 * 1–24 ASCII letters, digits, `_` or `-`. ASCII only, so a nick can hold no invisible, bidi or
 * look-alike (Cyrillic `а`) character; invisible characters typed around a name are stripped with
 * the rest of the line before `/nick` sees it (sanitize.ts).
 */
export function isValidNick(nick: string): boolean {
  return NICK.test(nick);
}

/**
 * DESIGN §6, forged names: a nick that would make `/me` read like a server notice (a look-alike
 * spelling included: `n0thing`). The `guest-N` names are refused by `nickRefusal`, not here, so that
 * this function's callers keep their "reads like a server notice" wording.
 */
export function isReservedNick(nick: string): boolean {
  return RESERVED_KEYS.has(nickKey(nick));
}

/** Whether `nick` is of the `guest-N` form the hub assigns itself (any case). */
export function isGuestNick(nick: string): boolean {
  return nickKey(nick).startsWith(GUEST_PREFIX);
}

/**
 * Why a member cannot take `nick`, to follow "nick NAME is " (`reserved: guest-N names are given
 * out by the server`), or undefined when it may (uniqueness aside: that is the hub's). One place
 * for the hub's `/nick` and the CLI's `--nick` to ask, guest-N included (issue 13, item 9).
 */
export function nickRefusal(nick: string): string | undefined {
  if (!isValidNick(nick)) return 'invalid: use 1-24 letters, digits, _ or -';
  if (isGuestNick(nick)) return `reserved: ${GUEST_PREFIX}N names are given out by the server`;
  if (isReservedNick(nick)) return 'reserved: it would read like a server notice';
  return undefined;
}

/**
 * Characters that look alike in common fonts, folded together after lower-casing: `0`/`o`, and
 * `1`/`l`/`i` (`I` and `l` are one glyph in many sans-serif fonts, and since case is folded,
 * `i` must go with `I`). So `a1ice`, `aIice` and `ALICE` are all `alice`'s nick. IRC's casemapping
 * folds `[]\~` with `{}|^` the same way.
 */
const LOOK_ALIKE: Readonly<Record<string, string>> = { '0': 'o', '1': 'l', i: 'l' };

/**
 * The key under which a nick is unique: neither case nor a look-alike character (see LOOK_ALIKE)
 * makes a new nick, and `/msg` finds a member by any spelling with the same key.
 */
export function nickKey(nick: string): string {
  return nick.toLowerCase().replace(/[01i]/g, (c) => LOOK_ALIKE[c]!);
}

const RESERVED_KEYS: ReadonlySet<string> = new Set([...RESERVED].map(nickKey));

/** The room name without its `#`, or undefined when it is not a valid name. */
export function normalizeRoom(name: string): string | undefined {
  return ROOM.test(name) ? name.replace(/^#/, '') : undefined;
}
