import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/client/printable.js';
import { stripControls } from '../../src/hub/sanitize.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('stripControls (server side, DESIGN §6)', () => {
  it.each([
    ['\r<alice> forged', '<alice> forged'],
    ['\x1b[2J\x1b[Hclear', 'clear'],
    ['bell\x07 nul\x00', 'bell nul'],
    ['\x1b]0;pwned title\x07after', 'after'],
    ['\u202Eevil\u202C', 'evil'],
    ['tab\tstays', 'tab\tstays'],
    ['\x1b[38;5;196mred\x1b[0m', 'red'],
    ['\x9b31mc1', 'c1'],
    ['del\x7f', 'del'],
    ['日本語 ok', '日本語 ok'],
  ])('%j -> %j', (input, output) => {
    expect(stripControls(input)).toBe(output);
  });

  it('leaves no control character in any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(CONTROL.test(stripControls(s))).toBe(false);
      }),
    );
  });
});

describe('printable (client side)', () => {
  it('shows control characters instead of obeying them', () => {
    expect(printable('\x1b[2J\x07x\u202Ey\x7f\x9b')).toBe('^[[2J^Gx<U+202E>y^?<U+009B>');
    expect(printable('tab\tand newline\n')).toBe('tab\tand newline\n');
  });

  it('never lets an ESC, BEL or bidi override through', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(printable(s))).toBe(
          false,
        );
      }),
    );
  });
});
