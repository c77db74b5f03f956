import type { RemoteInfo, Socket } from 'node:dgram';
import { DatagramTooLargeError, MAX_UDP_PAYLOAD } from '../errors.js';
import { rawCodec } from '../framing/raw.js';
import type { Logger } from '../log.js';
import { toBuffer, type Service, type Session } from '../services/service.js';
import { failureMessage, isPromise } from './reply.js';
import { nextSessionId } from './session-id.js';

/**
 * The session a service sees for one datagram: a reply goes back to the sender in one datagram
 * (DESIGN §4). There is no connection, so close() and destroy() have nothing to end.
 */
class DatagramSession implements Session {
  readonly id = nextSessionId();
  readonly transport = 'udp' as const;
  readonly framing = 'datagram' as const;
  readonly codec = rawCodec;
  readonly bufferedBytes = 0;
  readonly closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly from: RemoteInfo,
    readonly peer: string,
    private readonly logger: Logger,
  ) {}

  send(message: Buffer | string): boolean {
    return this.sendEncoded(toBuffer(message));
  }

  sendEncoded(datagram: Buffer): boolean {
    if (datagram.length > MAX_UDP_PAYLOAD) {
      // Never truncated silently: the sender hears why, and the log says so.
      const error = new DatagramTooLargeError(datagram.length, this.peer);
      this.logger.warn({ peer: this.peer }, error.message);
      datagram = Buffer.from(
        `error: reply of ${datagram.length} bytes exceeds the UDP maximum of ${MAX_UDP_PAYLOAD}`,
      );
    }
    this.socket.send(datagram, this.from.port, this.from.address, (err) => {
      if (err) this.logger.warn({ peer: this.peer, err }, `${this.peer}: reply not sent: ${err.message}`);
    });
    return true;
  }

  sendFrames(datagrams: readonly Buffer[]): boolean {
    for (const d of datagrams) this.sendEncoded(d);
    return true;
  }

  close(): void {}
  destroy(): void {}
  // A datagram socket has no per-peer stream to hold back: UDP has no flow control to apply.
  pauseInput(): void {}
  resumeInput(): void {}
}

/** Serve one datagram: run the service and send its reply, if any, back to the sender. */
export function serveDatagram(
  service: Service,
  socket: Socket,
  message: Buffer,
  from: RemoteInfo,
  peer: string,
  logger: Logger,
): void {
  const session = new DatagramSession(socket, from, peer, logger);
  const fail = (err: unknown): void =>
    logger.error({ peer, err }, `${peer}: service ${service.name} failed: ${failureMessage(err)}`);
  try {
    const reply = service.onMessage(message, session);
    if (isPromise(reply)) {
      reply.then((r) => void (r != null && session.send(toBuffer(r))), fail);
    } else if (reply != null) {
      session.send(toBuffer(reply));
    }
  } catch (err) {
    fail(err);
  }
}
