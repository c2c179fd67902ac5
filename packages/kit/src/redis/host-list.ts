import { TributaryError } from '../errors.ts';

/** TRIB_INVALID_CONFIG whose message reads after the URL's name: `BUS_REDIS_URL is not of the form …`. */
export const urlProblem = (problem: string) => new TributaryError('TRIB_INVALID_CONFIG', problem, { message: problem });

/**
 * The `host:port[,host:port...]` of a Sentinel or Cluster URL, which WHATWG
 * `URL` cannot parse; IPv6 hosts are written `[::1]:26379`. `role` names an
 * entry in the error (`names the Sentinel "h", expected host:port`).
 */
export function parseHostList(hosts: string, role: string): Array<{ host: string; port: number }> {
  return hosts.split(',').map((entry) => {
    const hostPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    const port = Number(hostPort?.[2]);
    if (!hostPort?.[1] || !Number.isInteger(port) || port < 1 || port > 65_535) throw urlProblem(`names the ${role} "${entry}", expected host:port`);
    return { host: hostPort[1].replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * The part of a Sentinel or Cluster URL before its path, as `parseHostList`
 * and the URL parsers read it back: `[user[:password]@]host:port,...`.
 */
export function formatAuthority(auth: { username?: string | undefined; password?: string | undefined }, hosts: ReadonlyArray<{ host: string; port: number }>): string {
  const user = auth.password === undefined ? (auth.username ? `${encodeURIComponent(auth.username)}@` : '') : `${encodeURIComponent(auth.username ?? '')}:${encodeURIComponent(auth.password)}@`;
  return `${user}${hosts.map((node) => `${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`).join(',')}`;
}
