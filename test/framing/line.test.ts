import { describe, expect, it } from 'vitest';
import { ErrorCode, LineTooLongError } from '../../src/errors.js';
import { lineCodec } from '../../src/framing/line.js';

const text = (messages: Buffer[]): string[] => messages.map((m) => m.toString());

describe('line', () => {
  it('splits many lines in one read and drops the \\r of \\r\\n', () => {
    const d = lineCodec().createDecoder();
    expect(text(d.push(Buffer.from('one\r\ntwo\n\nthree')))).toEqual(['one', 'two', '']);
    expect(text(d.push(Buffer.from('!\n')))).toEqual(['three!']);
  });

  it('handles \\r\\n split across chunks', () => {
    const d = lineCodec().createDecoder();
    expect(d.push(Buffer.from('hello\r'))).toEqual([]);
    expect(text(d.push(Buffer.from('\nworld\r')))).toEqual(['hello']);
    expect(text(d.push(Buffer.from('\n')))).toEqual(['world']);
  });

  it('keeps a \\r inside a line (only the one before \\n is dropped)', () => {
    expect(text(lineCodec().createDecoder().push(Buffer.from('a\rb\n')))).toEqual(['a\rb']);
  });

  it('gives an unterminated last line at end of stream', () => {
    const d = lineCodec().createDecoder();
    d.push(Buffer.from('no newline'));
    expect(text(d.end())).toEqual(['no newline']);
    expect(d.end()).toEqual([]);
  });

  it('accepts a line of exactly the limit and fails at limit + 1, before the newline arrives', () => {
    const limit = 16;
    expect(
      text(
        lineCodec(limit)
          .createDecoder()
          .push(Buffer.from(`${'x'.repeat(limit)}\n`)),
      ),
    ).toEqual(['x'.repeat(limit)]);
    const d = lineCodec(limit).createDecoder();
    expect(d.push(Buffer.from('x'.repeat(limit)))).toEqual([]);
    let error: unknown;
    try {
      d.push(Buffer.from('x'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LineTooLongError);
    expect(error).toMatchObject({ code: ErrorCode.LINE_TOO_LONG, limit });
    expect((error as LineTooLongError).notice).toBe(`error: line longer than ${limit} bytes; closing`);
  });

  it('keeps the lines a read completed before the long one on the error (nothing is lost)', () => {
    let error: unknown;
    try {
      lineCodec(4).createDecoder().push(Buffer.from('ok\nabcdefg'));
    } catch (err) {
      error = err;
    }
    expect(text((error as LineTooLongError).decoded)).toEqual(['ok']);
  });

  it('fails at limit + 1 when the whole long line arrives in one read', () => {
    expect(() => lineCodec(4).createDecoder().push(Buffer.from('abcde\n'))).toThrow(LineTooLongError);
  });

  it('searches only new bytes: a line in 1-byte chunks costs linear time, one join', () => {
    const d = lineCodec(1 << 20).createDecoder();
    const n = 200_000;
    for (let i = 0; i < n; i++) expect(d.push(Buffer.from('y'))).toEqual([]);
    const [line] = d.push(Buffer.from('\n'));
    expect(line).toHaveLength(n);
  });

  it('encodes with a trailing newline; a message holding \\n goes out as two lines', () => {
    const c = lineCodec();
    expect(c.encode(Buffer.from('hi')).toString()).toBe('hi\n');
    expect(c.encode(Buffer.alloc(0)).toString()).toBe('\n');
    expect(text(c.createDecoder().push(c.encode(Buffer.from('a\nb'))))).toEqual(['a', 'b']);
  });
});
