import type { TransportName } from '../services/service.js';
import type { StreamTransport } from './stream-transport.js';
import { tcpTransport } from './tcp.js';
import { unixTransport } from './unix.js';

/** Stream transports by URL scheme (MQTT.js picks its stream builder the same way). */
const STREAM_TRANSPORTS: Partial<Record<TransportName, StreamTransport>> = {
  tcp: tcpTransport,
  unix: unixTransport,
};

/** The stream transport for a scheme, or undefined for datagram transports (udp). */
export function streamTransport(name: TransportName): StreamTransport | undefined {
  return STREAM_TRANSPORTS[name];
}
