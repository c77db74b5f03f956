import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import { ConnectTimeoutError, connectError } from '../errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './transport.js';

/** Open a stream socket, with a deadline and an error that names the address. */
export function openSocket(options: NetConnectOpts, address: string, timeoutMs?: number): Promise<Socket> {
  const limit = timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = netConnect({ ...options, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectTimeoutError(address, limit));
    }, limit);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(connectError(address, err));
    };
    socket.once('error', onError);
  });
}
