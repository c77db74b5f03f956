import { describe, expect, it } from 'vitest';
import { FloodLimiter, type FloodVerdict } from '../../src/hub/flood-limiter.js';

/** A limiter on a clock the test moves by hand. */
function limiter(rate: number, burst: number) {
  let now = 0;
  const flood = new FloodLimiter(rate, burst, () => now);
  return {
    flood,
    /** Take one line at time `at` (ms). */
    at(ms: number): FloodVerdict {
      now = ms;
      return flood.take();
    },
  };
}

describe('FloodLimiter', () => {
  it('lets a burst through at once, then the rate', () => {
    const l = limiter(10, 5);
    expect(Array.from({ length: 6 }, () => l.at(0))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'refused']);
    expect(l.flood.firstRefusal).toBe(true);
    expect(l.at(100)).toBe('ok'); // 100 ms at 10 lines/s buys one line
    expect(l.at(100)).toBe('refused');
    expect(l.flood.firstRefusal).toBe(false); // same run: no second notice
  });

  it('disconnects a member refused more than a burst in one run', () => {
    const l = limiter(10, 5);
    for (let i = 0; i < 5; i++) l.at(0);
    const verdicts = Array.from({ length: 6 }, () => l.at(0));
    expect(verdicts).toEqual(['refused', 'refused', 'refused', 'refused', 'refused', 'disconnect']);
  });

  it('disconnects a member steadily over the rate even though some of its lines get through', () => {
    const l = limiter(10, 5);
    const verdicts: FloodVerdict[] = [];
    // 20 lines a second against a rate of 10, for at most 3 s.
    for (let t = 0; t < 3000 && verdicts.at(-1) !== 'disconnect'; t += 50) verdicts.push(l.at(t));
    expect(verdicts).toContain('ok');
    expect(verdicts.at(-1)).toBe('disconnect');
  });

  it('forgives a member after a quiet second', () => {
    const l = limiter(10, 2);
    expect([l.at(0), l.at(0), l.at(0), l.at(0)]).toEqual(['ok', 'ok', 'refused', 'refused']);
    expect(l.at(1000)).toBe('ok');
    expect(l.at(1000)).toBe('ok');
    expect(l.at(1000)).toBe('refused');
    expect(l.flood.firstRefusal).toBe(true); // a new run: told again
  });

  it('never refuses a member within the rate', () => {
    const l = limiter(20, 40);
    for (let t = 0; t < 10_000; t += 50) expect(l.at(t)).toBe('ok');
  });
});
