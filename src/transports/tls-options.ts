/**
 * TLS settings shared by tls:// and wss:// (DESIGN §2): a PEM certificate and key per listener,
 * TLS 1.2 at least, a handshake deadline; on the client side the system CAs or `?ca=`, the host
 * name checked, `insecure` to turn both off. Errors name the file or the peer and what to do.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import {
  InvalidOptionError,
  TlsConfigError,
  TlsHandshakeError,
  TlsHostMismatchError,
  TlsUntrustedError,
  connectError,
} from '../errors.js';
import { wholeNumber } from '../validate.js';
import { formatEndpoint, type Endpoint } from './endpoint.js';
import type { ParamReader, TransportConnectOptions, TransportServeOptions } from './transport.js';

/** DESIGN §2, §7: a handshake not finished within this long is closed. @default 10000 */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** DESIGN §2: TLS 1.2 or later, on both sides. */
export const TLS_MIN_VERSION = 'TLSv1.2';

function readPem(kind: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new TlsConfigError(`cannot read ${kind} file ${path}: ${why}; check the path`, err);
  }
}

/**
 * The server side of a tls/wss listener: `?cert=&key=` or serve()'s `tlsCert`/`tlsKey`, checked
 * now — a missing file, a file that is not PEM, or a key that does not belong to the certificate
 * fails at start-up with the file named, not at the first handshake.
 * @throws InvalidOptionError | TlsConfigError
 */
export function serverTlsOptions(
  endpoint: Endpoint,
  params: ParamReader,
  defaults: TransportServeOptions,
): TlsOptions {
  const certFile = params.take('cert') ?? defaults.tlsCert;
  const keyFile = params.take('key') ?? defaults.tlsKey;
  const handshakeTimeout = params.takeCount(
    'handshakeTimeout',
    wholeNumber('tlsHandshakeTimeoutMs', defaults.tlsHandshakeTimeoutMs, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, {
      min: 1,
      unit: 'ms',
    }),
    1,
  );
  if (certFile === undefined || keyFile === undefined) {
    throw new InvalidOptionError(
      `${formatEndpoint(endpoint)} needs a certificate and its key: add ?cert=FILE&key=FILE (PEM) ` +
        `or --tls-cert FILE --tls-key FILE`,
    );
  }
  const cert = readPem('certificate', certFile);
  const key = readPem('key', keyFile);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (err) {
    throw new TlsConfigError(`certificate file ${certFile} holds no PEM certificate; check the file`, err);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsConfigError(
      `key file ${keyFile} holds no usable PEM private key (encrypted keys are not supported); check the file`,
      err,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(
      `key file ${keyFile} does not match certificate file ${certFile}; give the key the certificate was made for`,
    );
  }
  return { cert, key, minVersion: TLS_MIN_VERSION, handshakeTimeout };
}

/** Endpoint parameters a tls/wss client understands. */
export const TLS_CONNECT_PARAMS = ['ca'] as const;

/** The client side: whom to trust, and which name to check. */
export function clientTlsOptions(endpoint: Endpoint, options: TransportConnectOptions): ConnectionOptions {
  const caFile = options.ca ?? endpoint.params.get('ca') ?? undefined;
  const insecure = options.insecure === true;
  return {
    minVersion: TLS_MIN_VERSION,
    rejectUnauthorized: !insecure,
    // SNI carries names, not addresses (RFC 6066 §3); the host name is still checked either way.
    ...(isIP(endpoint.host) === 0 && { servername: endpoint.host }),
    ...(caFile !== undefined && { ca: readPem('CA', caFile) }),
  };
}

const UNTRUSTED: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed?',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed CA?',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'signed by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'signed by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT: 'signed by an unknown CA',
  CERT_UNTRUSTED: 'untrusted',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not yet valid',
};

/** A client-side TLS failure as an error a user can act on. */
export function tlsConnectError(peer: string, host: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code ?? '';
  const untrusted = UNTRUSTED[code];
  if (untrusted !== undefined) return new TlsUntrustedError(peer, untrusted, err);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new TlsHostMismatchError(peer, host, e.reason ?? e.message, err);
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /SSL|TLS/.test(e?.message ?? '')) {
    return new TlsHandshakeError(peer, `${e.message}; is it a TLS server (tls://, wss://)?`, err);
  }
  return connectError(peer, err);
}
