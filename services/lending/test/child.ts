import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledEntryArgs } from '@tributary/launcher/cached-bundle';
import { waitFor } from 'tributary/testing';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// Run from a bundle, as the launcher runs it: tsx's loader would cost each of
// the many processes these tests start a couple of seconds of CPU.
const lendingArgs = await bundledEntryArgs(join(root, 'services', 'lending', 'src', 'main.ts'));

export interface LendingChild {
  child: ChildProcess;
  /** Resolves when the process has exited, with how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** Waits for the "ready" log line (the service is consuming and listening). */
  ready(): Promise<void>;
  /** SIGTERM and wait (graceful shutdown). */
  stop(): Promise<void>;
}

/**
 * Runs `services/lending/src/main.ts` as its own process, as `npm start`
 * does (bundled), so a SIGKILL takes nothing of the test process with it. The
 * environment starts from a clean slate for lending's own variables.
 */
export function spawnLending(env: Record<string, string>): LendingChild {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(LENDING_|SHELVING_|BUS_REDIS_URL|STORE_REDIS_URL|TRIBUTARY_|PORT$)/.test(name)),
  );
  const child = spawn(process.execPath, lendingArgs, {
    cwd: root,
    env: { ...inherited, HOST: '127.0.0.1', LENDING_PORT: '0', LOG_LEVEL: process.env.TEST_LOG ?? 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => { gone = true; });
  return {
    child,
    exited,
    output: () => output,
    async ready() {
      await waitFor(() => {
        if (gone) throw new Error(`lending exited before it was ready:\n${output}`);
        return output.includes('"msg":"ready"');
      }, { timeoutMs: 90_000, description: 'lending child ready', stopOn: () => true });
    },
    async stop() {
      if (!gone) child.kill('SIGTERM');
      await exited;
    },
  };
}
