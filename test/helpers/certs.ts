import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  /** The throwaway CA's certificate: what a client trusts with --ca. */
  ca: string;
  /** The server's certificate, signed by the CA, for 127.0.0.1 and localhost. */
  cert: string;
  key: string;
  /** A certificate signed by the CA for another name only (host-name check). */
  otherHost: { cert: string; key: string };
  /** A key that matches no certificate. */
  strayKey: string;
  remove(): void;
}

/**
 * A throwaway CA and certificates made with the openssl CLI at test time: no private key is
 * committed. Call `remove()` when the tests are done.
 */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sb-certs-'));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=switchboard test CA',
  );
  const leaf = (name: string, san: string): void => {
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  leaf('server', 'IP:127.0.0.1,DNS:localhost');
  leaf('elsewhere', 'DNS:elsewhere.example');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'stray.key');
  const at = (f: string): string => join(dir, f);
  return {
    ca: at('ca.pem'),
    cert: at('server.pem'),
    key: at('server.key'),
    otherHost: { cert: at('elsewhere.pem'), key: at('elsewhere.key') },
    strayKey: at('stray.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
