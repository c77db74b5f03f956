import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STRIPPED_RANGES, isStripped, stripControls } from '../../src/hub/sanitize.js';

const ZWJ = '\u200d';
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

/** Every listed code point that survives, other than a ZWJ joining two pictographs. */
function survivors(text: string): number[] {
  const chars = [...text];
  return chars
    .map((c, i) => ({ c, i }))
    .filter(({ c, i }) => {
      if (!isStripped(c.codePointAt(0)!)) return false;
      if (c !== ZWJ) return true;
      const before =
        chars[i - 1] === '\ufe0f' || /[\u{1f3fb}-\u{1f3ff}]/u.test(chars[i - 1] ?? '')
          ? chars[i - 2]
          : chars[i - 1];
      return !(PICTOGRAPH.test(before ?? '') && PICTOGRAPH.test(chars[i + 1] ?? ''));
    })
    .map(({ c }) => c.codePointAt(0)!);
}

/** A listed character, drawn from every range. */
const listed = fc
  .constantFrom(...STRIPPED_RANGES)
  .chain(([a, b]) => fc.integer({ min: a, max: b }))
  .map((cp) => String.fromCodePoint(cp));
const emoji = fc.constantFrom('👩', '💻', '🏳', '\ufe0f', '🌈', '👍', '\u{1f3fd}', 'a', ' ', '/');
/** Text mixing ordinary characters, listed ones and emoji pieces. */
const hostile = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 3 }), listed, emoji, fc.constant(ZWJ)), {
    maxLength: 40,
  })
  .map((parts) => parts.join(''));

// Issue 13, item 9: no invisible text.
describe('stripControls removes invisible characters', () => {
  it.each([
    ['zero\u200bwidth', 'zerowidth'],
    ['\ufeffBOM first', 'BOM first'],
    ['line\u2028sep\u2029para', 'lineseppara'],
    ['hidden\u{e0041}\u{e0042}tags', 'hiddentags'],
    ['\u3164', ''],
    ['\u115f\u1160\uffa0\u2800', ''],
    ['w\u2060o\u2061r\u2062d\u2063s\u2064', 'words'],
    ['soft\u00adhyphen', 'softhyphen'],
    ['\u200e\u200f\u061c\u2066x\u2069', 'x'],
    ['a\u200db', 'ab'],
    ['\u200c', ''],
  ])('%j -> %j', (input, output) => {
    expect(stripControls(input)).toBe(output);
  });

  it('keeps emoji sequences joined by ZWJ', () => {
    for (const e of ['👩‍💻', '👨‍👩‍👧', '🏳️‍🌈', '👍🏽', '🧑🏽‍🚀']) expect(stripControls(`hi ${e}!`)).toBe(`hi ${e}!`);
  });

  it('no listed character survives, whatever it is mixed with', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.string({ unit: 'binary' })), (s) => {
        const out = stripControls(s);
        expect(survivors(out)).toEqual([]);
        expect(stripControls(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves everything else alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const plain = [...s].filter((c) => !isStripped(c.codePointAt(0)!) || c === '\t').join('');
        if (!plain.includes('\u001b') && !plain.includes('\u009b')) expect(stripControls(plain)).toBe(plain);
      }),
      { numRuns: 500 },
    );
  });
});
