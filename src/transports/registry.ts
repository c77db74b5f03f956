import { tcpTransport } from './tcp.js';
import { tlsTransport } from './tls.js';
import type { ConnectionTransport, TransportName } from './transport.js';
import { udpTransport, type DatagramTransport } from './udp.js';
import { unixTransport } from './unix.js';
import { wsPlainTransport, wssTransport } from './ws.js';

export type Transport = ConnectionTransport | DatagramTransport;

/** Transports by URL scheme (MQTT.js picks its stream builder the same way). */
const TRANSPORTS: Readonly<Record<TransportName, Transport>> = {
  tcp: tcpTransport,
  udp: udpTransport,
  unix: unixTransport,
  tls: tlsTransport,
  ws: wsPlainTransport,
  wss: wssTransport,
};

/** The transport for a scheme (every `TransportName` has one: the record is total). */
export function transportFor(name: TransportName): Transport {
  return TRANSPORTS[name];
}
