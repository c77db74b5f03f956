import { describe, expect, it } from 'vitest';
import { FloodLimiter } from '../../src/hub/flood-limiter.js';

/** A limiter on a clock the test moves by hand. */
function limiter(rate: number, burst: number) {
  let now = 0;
  const flood = new FloodLimiter(rate, burst, () => now);
  return {
    flood,
    /** Take one line at time `at` (ms); the wait it was given. */
    at(ms: number): number {
      now = ms;
      return flood.take();
    },
  };
}

describe('FloodLimiter', () => {
  it('lets a burst through at once, then delays each line to the rate', () => {
    const l = limiter(10, 5);
    for (let i = 0; i < 5; i++) expect(l.at(0)).toBe(0);
    expect(l.at(0)).toBeCloseTo(100); // the 6th line waits one token's time
    expect(l.flood.newEpisode).toBe(true);
    // Taken after its wait, the next line waits one more token's time: the rate holds.
    expect(l.at(100)).toBeCloseTo(100);
    expect(l.flood.newEpisode).toBe(false); // same episode: no second notice
  });

  it('never refuses: a paste of 300 lines at 20/s with a burst of 40 takes (300 - 40) / 20 s', () => {
    const l = limiter(20, 40);
    let now = 0;
    for (let i = 0; i < 300; i++) now += l.at(now);
    expect(now).toBeCloseTo(((300 - 40) / 20) * 1000, 0);
  });

  it('starts a new episode after a quiet second', () => {
    const l = limiter(10, 1);
    expect(l.at(0)).toBe(0);
    expect(l.at(0)).toBeGreaterThan(0);
    expect(l.flood.newEpisode).toBe(true);
    expect(l.at(2_000)).toBe(0); // refilled
    expect(l.at(2_000)).toBeGreaterThan(0);
    expect(l.flood.newEpisode).toBe(true); // told again
  });

  it('never delays a member within the rate', () => {
    const l = limiter(20, 2);
    for (let t = 0; t < 10_000; t += 50) expect(l.at(t)).toBe(0);
  });
});
