import type { Backplane } from '../backplane/backplane.js';
import { InvalidEndpointError, InvalidOptionError } from '../errors.js';
import type { FramingOptions, FramingName } from '../framing/codec.js';
import { isFramingName } from '../framing/registry.js';
import type { ServiceParams } from '../services/service.js';
import type { Endpoint } from '../transports/endpoint.js';
import type { ParamReader } from '../transports/transport.js';
import { parseWholeNumber } from '../validate.js';

/** `SERVICE@URL`, as `switchboard serve` takes it: `upper@tcp://127.0.0.1:2000`. */
export function splitServiceSpec(spec: string): { service: string; url: string } {
  const at = spec.indexOf('@');
  const service = at > 0 ? spec.slice(0, at) : '';
  if (at <= 0 || !/^[a-z][a-z0-9_-]*$/i.test(service)) {
    throw new InvalidEndpointError(spec, "expected SERVICE@URL, e.g. 'upper@tcp://127.0.0.1:8088'");
  }
  return { service, url: spec.slice(at + 1) };
}

/** A listener's query parameters, each taken by whoever understands it; the rest is an error. */
export class ListenerParams implements ServiceParams, ParamReader {
  private readonly taken = new Set<string>();

  constructor(
    readonly endpoint: Endpoint,
    private readonly label: string,
    readonly backplane?: Backplane,
  ) {}

  take(name: string): string | undefined {
    this.taken.add(name);
    return this.endpoint.params.get(name) ?? undefined;
  }

  /** A whole number from `min` to `max`, or the fallback when absent. */
  takeCount(name: string, fallback: number, min = 0, max?: number): number {
    const text = this.take(name);
    if (text === undefined) return fallback;
    return parseWholeNumber(`${this.label}: ${name}`, text, { min, ...(max !== undefined && { max }) });
  }

  takeFraming(fallback: FramingName): FramingName {
    const text = this.take('framing');
    if (text === undefined) return fallback;
    if (!isFramingName(text)) {
      throw new InvalidOptionError(
        `${this.label}: unknown framing '${text}'; choose raw, line, len32be or len32le`,
      );
    }
    return text;
  }

  takeFramingLimits(defaults: FramingOptions): FramingOptions {
    const out: FramingOptions = {};
    const maxLine = this.take('maxLine');
    const maxFrame = this.take('maxFrame');
    const line = maxLine === undefined ? defaults.maxLine : this.parseSize('maxLine', maxLine);
    const frame = maxFrame === undefined ? defaults.maxFrame : this.parseSize('maxFrame', maxFrame);
    if (line !== undefined) out.maxLine = line;
    if (frame !== undefined) out.maxFrame = frame;
    return out;
  }

  private parseSize(name: string, text: string): number {
    return parseWholeNumber(`${this.label}: ${name}`, text, { min: 1, max: 0xffff_ffff, unit: 'bytes' });
  }

  /** @throws InvalidOptionError naming every parameter nobody understood. */
  assertAllTaken(): void {
    const unknown = [...new Set(this.endpoint.params.keys())].filter((k) => !this.taken.has(k));
    if (unknown.length > 0) {
      throw new InvalidOptionError(
        `${this.label}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; ` +
          `this listener understands ${[...this.taken].sort().join(', ')}`,
      );
    }
  }
}
