import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { bundle } from '../src/bundle.mjs';
import { isProcessAlive } from 'tributary';

/**
 * A service process the launcher started ends when the launcher dies, with
 * its own shutdown: the launcher gives it an IPC channel, and runService
 * treats the channel's closing like SIGTERM. Otherwise a launcher killed
 * with SIGKILL (or a test runner's worker torn down mid start-up) leaves
 * services running with nobody to supervise or stop them.
 */
const rootDir = resolve(import.meta.dirname, '..', '..', '..');
// Inside the repository, so the stand-in's `tributary/service` resolves to the workspace kit.
const workDir = join(rootDir, 'node_modules', '.cache', 'tributary-orphans-test', randomUUID());

afterAll(() => rmSync(workDir, { recursive: true, force: true }));


describe('a service whose launcher dies', () => {
  it('shuts down through its own close, not left running', async () => {
    mkdirSync(workDir, { recursive: true });
    const marker = join(workDir, 'state');
    writeFileSync(
      join(workDir, 'stand-in.ts'),
      `import { writeFileSync } from 'node:fs';
import { runService } from 'tributary/service';
await runService('orphan-test', async () => {
  writeFileSync(${JSON.stringify(marker)}, 'started');
  return { close: async () => writeFileSync(${JSON.stringify(marker)}, 'closed') };
});
setInterval(() => undefined, 1_000);
`,
    );
    await bundle({ 'stand-in': join(workDir, 'stand-in.ts') }, workDir);
    // The launcher's part: start the service with an IPC channel, as system.ts does, and print its pid.
    const launcherScript = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, [${JSON.stringify(join(workDir, 'stand-in.mjs'))}], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, TRIBUTARY_TRACING: 'off', LOG_LEVEL: 'warn', BUS_REDIS_URL: 'redis://127.0.0.1:1', STORE_REDIS_URL: 'redis://127.0.0.1:1' } });
console.log(child.pid);
setInterval(() => undefined, 1_000);
`;
    const launcher = spawn(process.execPath, ['-e', launcherScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const servicePid = await new Promise<number>((resolvePid, reject) => {
      launcher.stdout.once('data', (chunk: Buffer) => resolvePid(Number(String(chunk).trim())));
      launcher.once('exit', () => reject(new Error('the launcher exited before starting the service')));
    });
    try {
      // runService installs its handlers in the same turn as start() returns: none is missed.
      await waitFor(() => readFileSync(marker, { encoding: 'utf8', flag: 'a+' }) === 'started', { timeoutMs: 20_000, description: 'the service started' });
      launcher.kill('SIGKILL');
      await waitFor(() => !isProcessAlive(servicePid), { timeoutMs: 30_000, intervalMs: 100, description: 'the service gone after its launcher' });
      expect(readFileSync(marker, 'utf8')).toBe('closed');
    } finally {
      launcher.kill('SIGKILL');
      if (isProcessAlive(servicePid)) process.kill(servicePid, 'SIGKILL');
    }
  });
});
