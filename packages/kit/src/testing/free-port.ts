import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port handed out to this service: below it are the ports of well-known servers. */
const LOWEST = 10_000;

/**
 * The kernel's ephemeral range (Linux), or null where it cannot be read.
 * Exported for its test.
 */
export function ephemeralRange(text = readRangeFile()): { low: number; high: number } | null {
  const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(text ?? '');
  return match ? { low: Number(match[1]), high: Number(match[2]) } : null;
}

function readRangeFile(): string | null {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  } catch {
    return null;
  }
}

function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(null) : reject(error)));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(address && typeof address === 'object' ? address.port : null));
    });
  });
}

/**
 * A free TCP port on the loopback interface, for a server started a moment
 * later. Picked at random below the kernel's ephemeral range where there is
 * one: a port from listen(0) comes from that range, and so does the local
 * port of every outgoing connection on the machine, so between the pick and
 * the server's listen a Redis or HTTP client could take it (seen in the test
 * suite: a service restarted for two minutes on EADDRINUSE). Below the range
 * only someone asking for the number itself gets a port.
 */
export async function freePort(): Promise<number> {
  const range = ephemeralRange();
  if (range && range.low - LOWEST >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const candidate = LOWEST + Math.floor(Math.random() * (range.low - LOWEST));
      if (handedOut.has(candidate)) continue;
      const port = await tryListen(candidate);
      if (port !== null) return handOut(port);
    }
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryListen(0);
    if (port !== null && !handedOut.has(port)) return handOut(port);
  }
  throw new Error('no port assigned');
}

/**
 * Every port this process handed out. A port is free only until its server
 * listens, so two picks made before either listens (the launcher picks one
 * per service, then starts them all) could name the same port: one of the
 * two would then fail on EADDRINUSE at every restart (seen: a service
 * restarted 19 times). A port handed out once is never handed out again here.
 */
const handedOut = new Set<number>();

function handOut(port: number): number {
  handedOut.add(port);
  return port;
}
