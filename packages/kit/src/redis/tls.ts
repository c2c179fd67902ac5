import { readFileSync } from 'node:fs';
import { TributaryError } from '../errors.ts';
import { redisSetting } from './settings.ts';

/**
 * Where the TLS material for a `rediss://` connection lives. Files, not
 * contents: paths can be logged and checked at start, and a certificate
 * renewed on disk is read again by the next client made.
 */
export interface RedisTls {
  /** PEM CA certificate(s) the server's certificate must chain to; the system's CAs when unset. */
  caFile?: string;
  /** PEM client certificate, for servers with `tls-auth-clients yes` (mutual TLS); needs keyFile. */
  certFile?: string;
  /** PEM private key of certFile. */
  keyFile?: string;
  /** The name the server's certificate must carry, when it is not the URL's host (e.g. connecting by IP to a cert for a DNS name). */
  servername?: string;
  /** The settings each file came from, to name in errors (e.g. `{ caFile: 'BUS_REDIS_TLS_CA_FILE' }`). */
  variables?: Partial<Record<'caFile' | 'certFile' | 'keyFile' | 'servername', string>>;
}

const ITEMS = [
  ['caFile', 'CA_FILE'],
  ['certFile', 'CERT_FILE'],
  ['keyFile', 'KEY_FILE'],
  ['servername', 'SERVERNAME'],
] as const;

/**
 * The TLS settings for one role's Redis from the environment:
 * `[<SERVICE>_]<ROLE>_REDIS_TLS_<ITEM>` wins over `[<SERVICE>_]REDIS_TLS_<ITEM>`
 * (items CA_FILE, CERT_FILE, KEY_FILE, SERVERNAME), each item on its own.
 * Undefined when none is set. Used only for `rediss://` URLs.
 */
export function redisTlsFromEnv(env: NodeJS.ProcessEnv, role: 'bus' | 'store' | undefined, service?: string): RedisTls | undefined {
  const tls: RedisTls = {};
  const variables: NonNullable<RedisTls['variables']> = {};
  for (const [key, item] of ITEMS) {
    const found = redisSetting(env, role, service, `TLS_${item}`);
    if (!found) continue;
    [variables[key], tls[key]] = found;
  }
  if (Object.keys(variables).length === 0) return undefined;
  return { ...tls, variables };
}

const variableOf = (tls: RedisTls, key: 'caFile' | 'certFile' | 'keyFile') => tls.variables?.[key] ?? `tls.${key}`;

/**
 * node-redis's socket options for a TLS connection (`tls: true` and node's
 * `tls.connect` options). A file that cannot be read, or a certificate
 * without its key, is TRIB_INVALID_CONFIG naming the setting, so a service
 * stops with exit 78 instead of retrying a connection that cannot succeed.
 */
export function tlsSocketOptions(tls: RedisTls | undefined): { tls: true; ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string } {
  if (!tls) return { tls: true };
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) {
    const [given, missing] = tls.certFile ? ['certFile', 'keyFile'] as const : ['keyFile', 'certFile'] as const;
    throw new TributaryError('TRIB_INVALID_CONFIG', `${variableOf(tls, given)} is set without a ${missing === 'keyFile' ? 'key (…REDIS_TLS_KEY_FILE)' : 'certificate (…REDIS_TLS_CERT_FILE)'}: a client certificate needs both`);
  }
  const read = (key: 'caFile' | 'certFile' | 'keyFile'): Buffer | undefined => {
    const path = tls[key];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new TributaryError('TRIB_INVALID_CONFIG', `${variableOf(tls, key)}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const [ca, cert, key] = [read('caFile'), read('certFile'), read('keyFile')];
  return { tls: true, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(tls.servername ? { servername: tls.servername } : {}) };
}

/** Whether a Redis URL asks for TLS: `rediss://`, or a cluster's `rediss+cluster://`. */
export function wantsTls(url: string): boolean {
  return /^rediss(\+cluster)?:\/\//.test(url);
}

/** Throws what tlsSocketOptions would, without keeping the files: for checking settings before anything starts. */
export function checkRedisTls(tls: RedisTls | undefined): void {
  tlsSocketOptions(tls);
}
