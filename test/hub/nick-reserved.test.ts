import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGuestNick, isReservedNick, isValidNick, nickKey, nickRefusal } from '../../src/hub/nick.js';

// Issue 13, item 9: guest-N is the server's, and look-alike nicks are one nick.
describe('nicks', () => {
  it('reserves the guest- prefix for the names the server assigns', () => {
    for (const nick of ['guest-5', 'Guest-12', 'GUEST-x', 'guest-']) {
      expect(isGuestNick(nick)).toBe(true);
      expect(nickRefusal(nick)).toBe('reserved: guest-N names are given out by the server');
    }
    for (const nick of ['guest', 'guests', 'guest_5', 'myguest-1']) expect(nickRefusal(nick)).toBeUndefined();
    // The old export keeps its meaning (and its callers their wording): notice words only.
    expect(isReservedNick('guest-5')).toBe(false);
  });

  it('keeps the notice words reserved, and says why', () => {
    expect(isReservedNick('server')).toBe(true);
    expect(nickRefusal('Server')).toBe('reserved: it would read like a server notice');
    // A look-alike of a reserved word is reserved too.
    expect(isReservedNick('1ine')).toBe(true);
    expect(isReservedNick('n0thing')).toBe(true);
  });

  it('refuses invalid nicks with the rule', () => {
    expect(nickRefusal('a b')).toBe('invalid: use 1-24 letters, digits, _ or -');
    expect(nickRefusal('\u200balice')).toMatch(/^invalid/);
    expect(nickRefusal('аlice')).toMatch(/^invalid/); // Cyrillic а
    expect(nickRefusal('alice')).toBeUndefined();
  });

  it('folds look-alikes: a1ice, aIice, ALICE and alice are one nick; b0b is bob', () => {
    const alice = nickKey('alice');
    for (const n of ['a1ice', 'aIice', 'ALICE', 'AL1CE', 'alIce']) expect(nickKey(n)).toBe(alice);
    expect(nickKey('b0b')).toBe(nickKey('bob'));
    expect(nickKey('B0B')).toBe(nickKey('bob'));
    expect(nickKey('alice')).not.toBe(nickKey('alise'));
    expect(nickKey('guest-10')).not.toBe(nickKey('guest-1'));
  });

  it('the key ignores case, so uniqueness stays case-insensitive', () => {
    const nick = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/);
    fc.assert(
      fc.property(nick, (n) => {
        expect(isValidNick(n)).toBe(true);
        expect(nickKey(n.toUpperCase())).toBe(nickKey(n));
        expect(nickKey(n.toLowerCase())).toBe(nickKey(n));
      }),
    );
  });

  it('distinct guest numbers never share a key', () => {
    const keys = new Set(Array.from({ length: 20_000 }, (_, i) => nickKey(`guest-${i}`)));
    expect(keys.size).toBe(20_000);
  });
});
