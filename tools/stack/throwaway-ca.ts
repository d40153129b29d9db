import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Files of a certificate authority made for one run, and what it signed. */
export interface ThrowawayCa {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A key and a certificate for `subject`, signed by the CA, with the extensions given. */
function issue(dir: string, name: string, subject: string, extensions: string): void {
  const key = path.join(dir, `${name}.key`);
  const request = path.join(dir, `${name}.csr`);
  const extFile = path.join(dir, `${name}.ext`);
  writeFileSync(extFile, extensions);
  openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      request,
      '-subj',
      subject,
    ]),
  );
  openssl(
    ['x509', '-req', '-in', request, '-CA', path.join(dir, 'ca.pem'), '-CAkey', path.join(dir, 'ca.key')].concat([
      '-CAcreateserial',
      '-days',
      '7',
      '-sha256',
      '-extfile',
      extFile,
      '-out',
      path.join(dir, `${name}.pem`),
    ]),
  );
}

/**
 * A CA generated at start (its key never leaves `dir`), a server certificate for localhost and
 * 127.0.0.1, and a client certificate: enough for Temporal's frontend to speak TLS and ask its
 * callers for mTLS, so the TLS path is exercised on every run instead of only documented.
 */
export function createThrowawayCa(dir: string): ThrowawayCa {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '7'].concat([
      '-keyout',
      path.join(dir, 'ca.key'),
      '-out',
      path.join(dir, 'ca.pem'),
      '-subj',
      '/CN=approval-gate throwaway CA',
    ]),
  );
  issue(
    dir,
    'server',
    '/CN=localhost',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  issue(
    dir,
    'client',
    '/CN=approval-gate',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  return {
    caCert: path.join(dir, 'ca.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
  };
}
