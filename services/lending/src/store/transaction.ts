import { MultiErrorReply, WatchError } from '@redis/client';
import { checkKeyCount, fromScriptError, isRedisError, type LuaScript, type RedisClient } from 'tributary';

export type AloneResult<Reply> = { kind: 'ok'; reply: Reply } | { kind: 'conflict' } | { kind: 'noscript' };

/**
 * `MULTI; EVALSHA <script>; EXEC` with the script as the transaction's ONLY
 * command.
 *
 * Why alone: inside MULTI a NOSCRIPT (after a Redis restart or SCRIPT FLUSH)
 * fails only its own command and EXEC commits the rest, so a
 * `MULTI; EVALSHA; XACK; EXEC` would ack a request whose script never ran
 * (test/multi-trap.test.ts shows it). Our scripts XACK inside, so a NOSCRIPT
 * here means nothing at all happened: the script is loaded and the caller
 * goes round again (with a fresh WATCH, since EXEC ended the old one).
 *
 * Why MULTI at all, when a script is atomic anyway: it is what makes EXEC
 * refuse (WatchError, `conflict`) when a WATCHed key changed since it was
 * read, the book's optimistic lock on the user's counter.
 */
export async function execScriptAlone<Reply>(
  connection: RedisClient,
  script: LuaScript,
  keys: string[],
  args: string[],
): Promise<AloneResult<Reply>> {
  checkKeyCount(script, keys);
  try {
    const replies = await connection.multi().addCommand(['EVALSHA', script.sha, String(keys.length), ...keys, ...args]).exec();
    return { kind: 'ok', reply: replies[0] as Reply };
  } catch (error) {
    if (error instanceof WatchError) return { kind: 'conflict' };
    if (error instanceof MultiErrorReply) {
      const [failure] = [...error.errors()];
      if (isRedisError(failure, 'NOSCRIPT')) {
        await connection.sendCommand(['SCRIPT', 'LOAD', script.source]);
        return { kind: 'noscript' };
      }
      // A script error (TRIB_BAD_ARGUMENTS, TRIB_CORRUPT_DATA) is raised before any write: nothing happened.
      throw fromScriptError(failure ?? error);
    }
    throw error;
  }
}
