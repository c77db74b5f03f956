/**
 * Notices of the hub that a resuming client must understand but that src/hub/protocol.ts has no
 * parser for yet: the hub writes them inline (hub.ts, commands/). Each pattern is the hub's text as
 * of the resume protocol (docs/chat.md, "Resume"); they belong in protocol.ts, next to builders,
 * once the hub's owner moves them there (DESIGN §6: protocol text lives in one module). Pure text,
 * no DOM and no Node: the web page bundles this too.
 */

/** `seq on: room lines start with @seq=N;epoch=E; lobby at @seq=42;epoch=9f3a01c2`: the position part. */
const SEQ_ON = /^seq on: room lines start with @seq=N;epoch=E(?:; (.*))?$/;
const SEQ_OFF = /^seq off: room lines are untagged$/;
/**
 * A position with no epoch: a room whose numbering has not begun (`lobby at @seq=0;epoch=`, what
 * a room nobody has spoken in says on a Redis backplane). protocol.ts's parser wants an epoch.
 */
const POSITION_WITHOUT_EPOCH = /^(\S+) at @seq=(\d+);epoch=$/;
const RECOVERED_WITHOUT_EPOCH = /^recovered (\d+) lines? in (\S+); now at @seq=(\d+);epoch=(?:;|$)/;
/** The tail of a `recovered` notice when the lines did not fit the member's queue. */
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
  return SEQ_OFF.test(text);
}

/** A room whose numbering has not begun, at `seq` (0): the room's name. */
export function positionWithoutEpoch(text: string): { room: string; seq: number } | undefined {
  const m = POSITION_WITHOUT_EPOCH.exec(text);
  return m === null ? undefined : { room: m[1]!, seq: Number(m[2]) };
}

/** `recovered N lines in ROOM; now at @seq=S;epoch=` (no epoch yet): N and ROOM. */
export function recoveredWithoutEpoch(text: string): { recovered: number; room: string } | undefined {
  const m = RECOVERED_WITHOUT_EPOCH.exec(text);
  return m === null ? undefined : { recovered: Number(m[1]), room: m[2]! };
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
