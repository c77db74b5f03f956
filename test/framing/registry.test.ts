import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { createCodec, isFramingName } from '../../src/framing/registry.js';

describe('createCodec', () => {
  it('knows the four framings of DESIGN §3 and nothing else', () => {
    expect(['raw', 'line', 'len32be', 'len32le'].map((n) => createCodec(n).name)).toEqual([
      'raw',
      'line',
      'len32be',
      'len32le',
    ]);
    expect(isFramingName('json')).toBe(false);
    expect(() => createCodec('json')).toThrow(
      /unknown framing 'json'; choose one of: raw, line, len32be, len32le/,
    );
  });

  it('rejects limits that are not whole positive byte counts', () => {
    for (const bad of [0, -1, 1.5, 2 ** 33]) {
      expect(() => createCodec('len32be', { maxFrame: bad })).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
      );
    }
    expect(() => createCodec('line', { maxLine: 0 })).toThrow(/maxLine must be a whole number of bytes/);
  });

  it('raw is binary-safe and boundary-free', () => {
    const raw = createCodec('raw');
    const bytes = Buffer.from([0, 255, 10, 13]);
    expect(raw.encode(bytes)).toBe(bytes);
    expect(raw.preservesBoundaries).toBe(false);
    expect(raw.createDecoder().push(Buffer.alloc(0))).toEqual([]);
  });
});
