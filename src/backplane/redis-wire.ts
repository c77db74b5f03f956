import type { RoomLine, SequencedLine } from './backplane.js';

/**
 * How room lines travel through Redis: the text of one line, the message a publish script sends
 * to every node, and the history stream's entries. Every node decodes every line of every room it
 * carries, so the common line is a fixed layout read with four `indexOf`s — `KIND NODE MEMBER NICK
 * TEXT`, kind `s` (say) or `a` (action), the text the rest of the line: 0.3 µs a line to write
 * and read here, against 1.9 µs for `JSON.stringify` and `JSON.parse` (docs/benchmarks.md, "Two
 * nodes on one Redis").
 * A line whose fields would break that layout (a space or a newline where the layout has none, a
 * newline in the text) goes as JSON instead, and a line starting with `{` is read as JSON: entries
 * written by the earlier JSON-only nodes stay readable.
 */

/** The JSON form (short keys), for the lines the fixed layout cannot carry. */
interface JsonWireLine {
  k: 'say' | 'action';
  n: string;
  t: string;
  o: string;
  m: number;
}

const SPACE = 0x20;
const OPEN_BRACE = 0x7b;
const LOWER_S = 0x73;
const LOWER_A = 0x61;

function hasSpaceOrNewline(text: string): boolean {
  return text.includes(' ') || text.includes('\n');
}

/** One line's wire text: never contains a newline (lines are joined with newlines). */
export function encodeWireLine(line: RoomLine): string {
  if (
    line.text.includes('\n') ||
    hasSpaceOrNewline(line.nick) ||
    hasSpaceOrNewline(line.node) ||
    line.nick === '' ||
    line.node === '' ||
    !Number.isSafeInteger(line.member)
  ) {
    const wire: JsonWireLine = { k: line.kind, n: line.nick, t: line.text, o: line.node, m: line.member };
    return JSON.stringify(wire);
  }
  return `${line.kind === 'say' ? 's' : 'a'} ${line.node} ${line.member} ${line.nick} ${line.text}`;
}

/** A line's wire text back, numbered; undefined if it is not one (another program's message). */
export function decodeWireLine(text: string, epoch: string, seq: number): SequencedLine | undefined {
  if (text.charCodeAt(0) === OPEN_BRACE) return decodeJson(text, epoch, seq);
  const kindCode = text.charCodeAt(0);
  if ((kindCode !== LOWER_S && kindCode !== LOWER_A) || text.charCodeAt(1) !== SPACE) return undefined;
  const afterNode = text.indexOf(' ', 2);
  const afterMember = afterNode < 0 ? -1 : text.indexOf(' ', afterNode + 1);
  const afterNick = afterMember < 0 ? -1 : text.indexOf(' ', afterMember + 1);
  if (afterNick < 0) return undefined;
  const member = Number(text.slice(afterNode + 1, afterMember));
  if (!Number.isSafeInteger(member)) return undefined;
  return {
    kind: kindCode === LOWER_S ? 'say' : 'action',
    node: text.slice(2, afterNode),
    member,
    nick: text.slice(afterMember + 1, afterNick),
    text: text.slice(afterNick + 1),
    epoch,
    seq,
  };
}

function decodeJson(text: string, epoch: string, seq: number): SequencedLine | undefined {
  try {
    const wire = JSON.parse(text) as Partial<JsonWireLine>;
    if (
      (wire.k !== 'say' && wire.k !== 'action') ||
      typeof wire.n !== 'string' ||
      typeof wire.t !== 'string' ||
      typeof wire.o !== 'string' ||
      typeof wire.m !== 'number'
    ) {
      return undefined;
    }
    return { kind: wire.k, nick: wire.n, text: wire.t, node: wire.o, member: wire.m, epoch, seq };
  } catch {
    return undefined;
  }
}

/**
 * `n` wire lines, numbered `first` … `first + n - 1`, read from `text` (lines joined by newlines)
 * from offset `at`. Stops at the first line that is not one.
 */
function decodeLines(text: string, at: number, epoch: string, first: number, out: SequencedLine[]): void {
  for (let seq = first; at <= text.length; seq++) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const line = decodeWireLine(text.slice(at, end), epoch, seq);
    if (line === undefined) return;
    out.push(line);
    at = end + 1;
  }
}

/**
 * A publish script's message, `EPOCH FIRST COUNT` and the lines, one per line (redis-scripts.ts);
 * [] if it is not one.
 */
export function parseBatchMessage(message: string): SequencedLine[] {
  const head = message.indexOf('\n');
  if (head < 0) return [];
  const [epoch, first, count] = message.slice(0, head).split(' ');
  const lines: SequencedLine[] = [];
  if (epoch === undefined || first === undefined || count === undefined) return lines;
  decodeLines(message, head + 1, epoch, Number(first), lines);
  return lines.length === Number(count) ? lines : lines.slice(0, Number(count));
}

/** A history stream entry as XRANGE returns it. */
export type StreamEntry = [id: string, fields: string[]];

/**
 * The lines of one stream entry. An entry is one script call's lines (`p`, joined by newlines)
 * with the room's epoch (`e`); its id is the number of its *last* line, so that
 * `XRANGE log N +` returns every entry holding a line numbered N or later.
 */
export function parseStreamEntry([id, fields]: StreamEntry, out: SequencedLine[]): void {
  let epoch = '';
  let payload = '';
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') epoch = fields[i + 1]!;
    else if (fields[i] === 'p') payload = fields[i + 1]!;
  }
  const last = Number(id.slice(0, id.indexOf('-')));
  let count = 1;
  for (let at = payload.indexOf('\n'); at >= 0; at = payload.indexOf('\n', at + 1)) count++;
  decodeLines(payload, 0, epoch, last - count + 1, out);
}
