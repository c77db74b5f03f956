import { createSocket, type Socket } from 'node:dgram';
import { connectError, DatagramTooLargeError, MAX_UDP_PAYLOAD } from '../errors.js';
import { formatHostPort, type Endpoint } from '../transports/endpoint.js';
import { udpSocketType } from '../transports/udp.js';
import type { Link, LinkEvents } from './link.js';

/**
 * A connected UDP socket: the kernel drops datagrams from anyone but the server, and an ICMP
 * "port unreachable" comes back as ECONNREFUSED instead of silence.
 */
export class DatagramLink implements Link {
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly peer: string,
    private readonly events: LinkEvents,
  ) {
    socket.on('message', (m) => events.message(m));
    socket.on('error', (err) => this.finish(connectError(peer, err)));
  }

  static open(endpoint: Endpoint, events: LinkEvents): Promise<DatagramLink> {
    const peer = formatHostPort(endpoint.host, endpoint.port);
    const socket = createSocket(udpSocketType(endpoint.host));
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => reject(connectError(peer, err)));
      socket.connect(endpoint.port, endpoint.host, () => {
        socket.removeAllListeners('error');
        resolve(new DatagramLink(socket, peer, events));
      });
    });
  }

  send(message: Buffer): boolean {
    if (message.length > MAX_UDP_PAYLOAD) throw new DatagramTooLargeError(message.length, this.peer);
    this.socket.send(message, (err) => {
      if (err) this.finish(connectError(this.peer, err));
    });
    return true;
  }

  /** UDP has nothing to half-close. */
  end(): void {}

  destroy(): void {
    this.finish(undefined);
  }

  pause(): void {}
  resume(): void {}

  private finish(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    this.events.close(error);
  }
}
