import type { Codec } from '../framing/codec.js';

/**
 * How a member wants room lines written: its session's codec, and whether lines carry their
 * sequence tags (`/seq on`, DESIGN §6 resume). A room encodes each line once per rendering present
 * among its members, not once per member. Renderings are interned, so they key maps.
 */
export interface Rendering {
  readonly codec: Codec;
  readonly tagged: boolean;
}

const interned = new WeakMap<Codec, readonly [Rendering, Rendering]>();

export function renderingOf(codec: Codec, tagged: boolean): Rendering {
  let pair = interned.get(codec);
  if (pair === undefined) {
    pair = [
      { codec, tagged: false },
      { codec, tagged: true },
    ];
    interned.set(codec, pair);
  }
  return pair[tagged ? 1 : 0];
}
