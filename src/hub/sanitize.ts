/**
 * What a member sends is shown on other people's terminals and pages. DESIGN §6: control characters
 * are stripped from what is relayed, so nobody can forge another's `<nick>` with a `\r`, clear
 * screens with `ESC[2J`, ring bells, or reverse text with bidi overrides. Issue 13, item 9: nor hide
 * text in characters nobody can see (docs/chat.md lists them and why).
 */

/* eslint-disable no-control-regex -- matching control characters is this file's whole purpose */

// ANSI escape sequences first (so their parameters go too): CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`,
// and two-byte `ESC X`; the 8-bit CSI (U+009B) likewise.
const ESCAPE_SEQUENCE =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?/g;

/**
 * Every character `stripControls` removes, as [first, last] code point ranges: C0 except tab, DEL,
 * C1; bidi marks, embeddings, overrides and isolates; zero-width and other invisible format
 * characters; the line and paragraph separators; Unicode tags; and the blank "fillers" that render
 * as nothing yet count as a character (used for empty-looking messages and invisible names).
 */
export const STRIPPED_RANGES: ReadonlyArray<readonly [number, number, string]> = [
  [0x0000, 0x0008, 'C0 controls'],
  [0x000a, 0x001f, 'C0 controls (tab U+0009 is kept)'],
  [0x007f, 0x009f, 'DEL and C1 controls'],
  [0x00ad, 0x00ad, 'SOFT HYPHEN'],
  [0x034f, 0x034f, 'COMBINING GRAPHEME JOINER'],
  [0x061c, 0x061c, 'ARABIC LETTER MARK (bidi)'],
  [0x115f, 0x1160, 'HANGUL CHOSEONG/JUNGSEONG FILLER'],
  [0x17b4, 0x17b5, 'KHMER VOWEL INHERENT AQ/AA (invisible)'],
  [0x180e, 0x180e, 'MONGOLIAN VOWEL SEPARATOR'],
  [0x200b, 0x200f, 'ZERO WIDTH SPACE, NON-JOINER, JOINER (outside emoji), LRM, RLM'],
  [0x2028, 0x2029, 'LINE and PARAGRAPH SEPARATOR'],
  [0x202a, 0x202e, 'bidi embeddings and overrides'],
  [0x2060, 0x2064, 'WORD JOINER and invisible operators'],
  [0x2066, 0x2069, 'bidi isolates'],
  [0x206a, 0x206f, 'deprecated format characters'],
  [0x2800, 0x2800, 'BRAILLE PATTERN BLANK'],
  [0x3164, 0x3164, 'HANGUL FILLER'],
  [0xfeff, 0xfeff, 'ZERO WIDTH NO-BREAK SPACE (BOM)'],
  [0xffa0, 0xffa0, 'HALFWIDTH HANGUL FILLER'],
  [0xfff9, 0xfffb, 'interlinear annotation controls'],
  [0x1d173, 0x1d17a, 'musical symbol format controls (invisible)'],
  [0xe0000, 0xe007f, 'Unicode tag characters'],
];

const ZWJ = 0x200d;

function charClass(ranges: ReadonlyArray<readonly [number, number, string]>): string {
  const hex = (n: number): string => `\\u{${n.toString(16)}}`;
  return ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('');
}

// Everything listed but the ZERO WIDTH JOINER, which emoji sequences need (👩‍💻 is 👩 ZWJ 💻).
const WITHOUT_ZWJ = STRIPPED_RANGES.flatMap(([a, b, name]) =>
  a <= ZWJ && ZWJ <= b ? [[a, ZWJ - 1, name] as const, [ZWJ + 1, b, name] as const] : [[a, b, name] as const],
);
const INVISIBLE = new RegExp(`[${charClass(WITHOUT_ZWJ)}]`, 'gu');
// A ZWJ stays only between two pictographs (the first may carry VS16 or a skin tone).
const STRAY_ZWJ =
  // eslint-disable-next-line no-misleading-character-class -- VS16 and skin tones stand alone here, on purpose
  /(?<!\p{Extended_Pictographic}[\u{fe0f}\u{1f3fb}-\u{1f3ff}]?)\u200d|\u200d(?!\p{Extended_Pictographic})/gu;

/** The text with every escape sequence and every character of `STRIPPED_RANGES` removed (tab kept). */
export function stripControls(text: string): string {
  // Most chat lines are printable ASCII: one scan, no copy.
  if (!NOT_PRINTABLE_ASCII.test(text)) return text;
  const out = text.replace(ESCAPE_SEQUENCE, '').replace(INVISIBLE, '');
  return out.includes('\u200d') ? out.replace(STRAY_ZWJ, '') : out;
}

const NOT_PRINTABLE_ASCII = /[^\t\x20-\x7e]/;

/** Whether a code point is one `stripControls` removes (a ZWJ inside an emoji sequence aside). */
export function isStripped(codePoint: number): boolean {
  return STRIPPED_RANGES.some(([a, b]) => a <= codePoint && codePoint <= b);
}
