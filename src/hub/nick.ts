/** DESIGN §6 / issue: 1–24 letters, digits, `_` or `-`. */
const NICK = /^[A-Za-z0-9_-]{1,24}$/;
/** Room names follow the same rule, with an optional leading `#` as IRC users type it. */
const ROOM = /^#?[A-Za-z0-9_-]{1,32}$/;

export function isValidNick(nick: string): boolean {
  return NICK.test(nick);
}

/** The key under which a nick is unique: case does not make a new nick. */
export function nickKey(nick: string): string {
  return nick.toLowerCase();
}

/** The room name without its `#`, or undefined when it is not a valid name. */
export function normalizeRoom(name: string): string | undefined {
  return ROOM.test(name) ? name.replace(/^#/, '') : undefined;
}
