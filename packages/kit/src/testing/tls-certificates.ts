import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsCertificates {
  dir: string;
  /** The CA every certificate here is signed by: the server's `tls-ca-cert-file` and the clients' REDIS_TLS_CA_FILE. */
  caFile: string;
  /** For `redis-server --tls-cert-file/--tls-key-file`: valid for 127.0.0.1, ::1 and localhost. */
  serverCertFile: string;
  serverKeyFile: string;
  /** A client certificate for servers with `tls-auth-clients yes`. */
  clientCertFile: string;
  clientKeyFile: string;
}

/**
 * A CA and a server and a client certificate signed by it, made with the
 * openssl CLI (on every Debian next to redis-server; node's crypto can make
 * keys but not X.509 certificates). P-256 keys: made in milliseconds, and
 * Redis and node accept them. Files already in `dir` are kept, so a data
 * directory's certificates survive restarts; the CA key stays in `dir` (0600)
 * to sign nothing else: it is a private CA for one deployment or one test.
 */
export async function generateTlsCertificates(dir: string, options: { days?: number; subject?: string } = {}): Promise<TlsCertificates> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const days = String(options.days ?? 825);
  const subject = options.subject ?? 'Tributary';
  const file = (name: string) => join(dir, name);
  const certificates: TlsCertificates = {
    dir,
    caFile: file('ca.crt'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
  };
  if (Object.values(certificates).every((path) => existsSync(path))) return certificates;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', certificates.caFile, '-days', days, '-subj', `/CN=${subject} private CA`]);
  const sign = async (name: string, commonName: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), extensions);
    await run('openssl', ['req', '-new', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${commonName}`]);
    await run('openssl', ['x509', '-req', '-in', file(`${name}.csr`), '-CA', certificates.caFile, '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file(`${name}.crt`), '-days', days, '-extfile', file(`${name}.ext`)]);
  };
  await sign('server', 'localhost', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  await sign('client', `${subject} client`, 'extendedKeyUsage=clientAuth\n');
  for (const key of ['ca.key', 'server.key', 'client.key']) chmodSync(file(key), 0o600);
  return certificates;
}
