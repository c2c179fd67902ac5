/** Exit codes of every `tributary` command: 0 done, 1 failed (Redis, timeout, a service), 2 usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure the user should read as is (no stack): `main.ts` prints the message and exits with the code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: typeof EXIT.failed | typeof EXIT.usage = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
