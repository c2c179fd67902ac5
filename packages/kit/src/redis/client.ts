import { createClient } from 'redis';

/**
 * RESP2 on purpose: the kit parses raw stream replies in one place
 * (`streams/commands.ts`) and node-redis 6 defaults to RESP3, whose map
 * replies differ per command.
 */
/** Errors that retrying cannot fix: wrong credentials or a server that wants some. */
const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;

function createResp2Client(url: string, name: string | undefined, commandTimeoutMs = 0, state = { connected: false }, failFast = false) {
  return createClient({
    url,
    RESP: 2,
    ...(name ? { name } : {}),
    commandOptions: { timeout: commandTimeoutMs },
    socket: {
      // Before the first connection, bad credentials end connect() with the
      // error instead of a silent retry loop; afterwards every failure is
      // ridden out (credentials may be fixed on the server side).
      reconnectStrategy: (retries: number, cause: Error) =>
        !state.connected && (failFast || AUTH_FAILURE.test(cause.message)) ? cause : Math.min(50 * 2 ** Math.min(retries, 6), 2_000),
    },
  });
}

export type RedisClient = ReturnType<typeof createResp2Client>;

/** Removes the password from a connection string so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

export interface ConnectOptions {
  /** Shown by CLIENT LIST, helps operators see who is connected. */
  name?: string;
  /** Called on connection errors; node-redis reconnects by itself. */
  onError?: (error: Error) => void;
  /**
   * Per-command timeout, off (0) by default; node-redis's own default is
   * 5 000 ms. In node-redis 6 it only bounds how long a command waits to be
   * written (in the offline queue while reconnecting): the timer is removed
   * once the command is on the socket, so it never caught a hung reply. It
   * costs an `AbortSignal.timeout` and two listener calls per command, which
   * cut pipelined XADD throughput to a fifth (`npm run bench --
   * command-timeout`, docs/benchmarks.md). Set it where failing after a
   * while beats waiting for the reconnect.
   */
  commandTimeoutMs?: number;
  /** End connect() with the first connection error instead of retrying until the server is there (one-off tools). */
  failFast?: boolean;
}

/**
 * Connects a node-redis client that reconnects forever with capped backoff,
 * which is what a long-running service wants: a Redis restart is an outage to
 * ride out, not a reason to exit.
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<RedisClient> {
  const state = { connected: false };
  const client = createResp2Client(url, options.name, options.commandTimeoutMs, state, options.failFast);
  client.on('error', (error: Error) => options.onError?.(error));
  await client.connect();
  state.connected = true;
  return client;
}
