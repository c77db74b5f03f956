import type { Command } from 'commander';
import type { ClientOptions } from '../client/client.js';

export interface TlsClientFlags {
  ca?: string;
  insecure?: boolean;
}

/** `--ca FILE` and `--insecure`, for the commands that connect (DESIGN §2: tls, wss). */
export function addTlsClientFlags(command: Command): Command {
  return command
    .option('--ca <file>', 'tls/wss: trust the CA (or self-signed certificate) in this PEM file')
    .option('--insecure', 'tls/wss: do not verify the certificate or host name (says so on stderr)');
}

/**
 * The client options the flags mean. With --insecure the user is told on stderr, once, that
 * anyone on the path can read and change the connection (DESIGN §2: it says so).
 */
export function tlsClientOptions(url: string, flags: TlsClientFlags): Pick<ClientOptions, 'ca' | 'insecure'> {
  if (flags.insecure === true && /^(tls|wss):/i.test(url)) {
    process.stderr.write(
      `switchboard: warning: --insecure: the certificate of ${url} is not verified; ` +
        `anyone on the path can read and change this connection\n`,
    );
  }
  return {
    ...(flags.ca !== undefined && { ca: flags.ca }),
    ...(flags.insecure === true && { insecure: true }),
  };
}
