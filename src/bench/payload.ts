/**
 * Deterministic payloads: the same seed gives the same bytes on every run and machine, so two runs
 * (and two servers) are measured with the same traffic.
 */

const LETTERS = 26;
const LOWER_A = 0x61;

/** mulberry32: a tiny, fast, seedable PRNG; quality is ample for picking letters. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` payloads of `size` random lower-case ASCII letters: upper-casing changes every byte, so
 * a server that skips the work (or an echo posing as upper) fails the check at once.
 */
export function makePayloads(count: number, size: number, seed: number): Buffer[] {
  const next = prng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const b = Buffer.allocUnsafe(size);
    for (let j = 0; j < size; j++) b[j] = LOWER_A + Math.floor(next() * LETTERS);
    out.push(b);
  }
  return out;
}
