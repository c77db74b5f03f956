import { InvalidOptionError } from '../errors.js';
import { wholeNumber } from '../validate.js';
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_MAX_LINE,
  FRAMING_NAMES,
  type Codec,
  type FramingName,
  type FramingOptions,
} from './codec.js';
import { lengthPrefixedCodec } from './length-prefixed.js';
import { lineCodec } from './line.js';
import { rawCodec } from './raw.js';

export function isFramingName(name: string): name is FramingName {
  return (FRAMING_NAMES as readonly string[]).includes(name);
}

function positiveLimit(name: string, value: number | undefined, fallback: number): number {
  return wholeNumber(name, value, fallback, { min: 1, max: 0xffff_ffff, unit: 'bytes' });
}

/** The codec for a framing name, with its limits resolved. */
export function createCodec(name: string, options: FramingOptions = {}): Codec {
  switch (name) {
    case 'raw':
      return rawCodec;
    case 'line':
      return lineCodec(positiveLimit('maxLine', options.maxLine, DEFAULT_MAX_LINE));
    case 'len32be':
      return lengthPrefixedCodec('be', positiveLimit('maxFrame', options.maxFrame, DEFAULT_MAX_FRAME));
    case 'len32le':
      return lengthPrefixedCodec('le', positiveLimit('maxFrame', options.maxFrame, DEFAULT_MAX_FRAME));
    default:
      throw new InvalidOptionError(`unknown framing '${name}'; choose one of: ${FRAMING_NAMES.join(', ')}`);
  }
}
