import type { FanoutAdapter } from './adapter.js';

const LF = Buffer.from('\n');

/**
 * A plain line relay (every line goes to every other client) and `ncat --chat`, which prefixes
 * each relayed line with `<userN> ` and announces arrivals: both need only `body\n`.
 */
export function lineRelayAdapter(name: 'line' | 'ncat'): FanoutAdapter {
  return {
    name,
    ...(name === 'ncat' && { connectParallel: 1 }),
    setup: () => undefined,
    encode: (body) => Buffer.concat([body, LF]),
    onControlLine: () => undefined,
  };
}
