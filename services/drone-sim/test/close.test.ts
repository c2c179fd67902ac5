import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DroneTelemetry } from '@tributary/contracts';
import { waitFor } from 'tributary/testing';
import { useDroneSim } from './harness.ts';

const t = useDroneSim();
const fixture = fileURLToPath(new URL('./fixtures/close-while-flying.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('drone-sim close()', () => {
  it('stops every timer mid-flight: nothing is written after it, and the process exits on its own', async () => {
    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, BUS_REDIS_URL: t.server.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    let exitCode: number | null = null;
    child.once('exit', (code) => { exitCode = code ?? -1; });

    await waitFor(() => exitCode !== null, { timeoutMs: 20_000, description: 'fixture exits by itself' }).catch((error: Error) => {
      throw new Error(`${error.message}; fixture output: ${output}`);
    });
    expect(exitCode, output).toBe(0);
    const match = /closed (\d+) busy (\d+)/.exec(output);
    expect(match, output).not.toBeNull();
    // Closed mid-flight (a ~14 km trip at 1x), and not one reading after close() resolved.
    expect(Number(match?.[2])).toBe(1);
    expect(Number(await t.bus.sendCommand(['XLEN', DroneTelemetry.stream]))).toBe(Number(match?.[1]));
  });
});
