import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, isProcessAlive } from 'tributary';
import { freePort, waitFor } from 'tributary/testing';
import { REDIS_PID_FILE, startPrivateRedis } from '../src/redis.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-private-redis-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The process group of a pid: the fifth field of /proc/<pid>/stat, after the command in parentheses. */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/**
 * Ctrl-C at a terminal signals its whole foreground process group. The
 * services flush to the private Redis servers while they stop, so those
 * must not get it: they stop last, when the launcher stops them, and are
 * not restarted meanwhile (which `npm start` once printed on every Ctrl-C).
 */
describe.runIf(process.platform === 'linux')("a launcher's private Redis", () => {
  it("runs in a process group of its own, out of reach of the launcher's group's Ctrl-C, and stops when the launcher stops it", async () => {
    const events: string[] = [];
    const redis = await startPrivateRedis({ role: 'bus', dataDir, logDir: dataDir, cwd: dataDir, onEvent: (line) => events.push(line) });
    const pid = redis.process.pid as number;
    try {
      expect(processGroup(pid)).toBe(pid);
      expect(processGroup(pid)).not.toBe(processGroup(process.pid));
    } finally {
      await redis.process.stop();
    }
    expect(isProcessAlive(pid)).toBe(false);
    expect(events.filter((line) => line.includes('restarting'))).toEqual([]);
  });

  it('stops a server an earlier launcher left running on its directory, and loads what that one acknowledged', async () => {
    const dir = join(dataDir, 'redis', 'store');
    // What a launcher killed with SIGKILL leaves: its redis-server, adopted by init, still appending to the directory's AOF.
    const { pid: leftoverPid } = await serverWithAWrite(dir, 'orphan');
    try {
      const events: string[] = [];
      const redis = await startPrivateRedis({ role: 'store', dataDir, logDir: dataDir, cwd: dataDir, onEvent: (line) => events.push(line) });
      try {
        expect(isProcessAlive(leftoverPid)).toBe(false);
        expect(events).toContainEqual(expect.stringContaining(`left running on ${dir} (pid ${leftoverPid})`));
        const fresh = await connectRedis(redis.url);
        expect(await fresh.get('acknowledged')).toBe('before the launcher died');
        await fresh.close();
      } finally {
        await redis.process.stop();
      }
    } finally {
      if (isProcessAlive(leftoverPid)) process.kill(leftoverPid, 'SIGKILL');
    }
  });

  it('refuses to start on a directory whose server belongs to a launcher that still runs, and leaves that server alone', async () => {
    const dir = join(dataDir, 'redis', 'bus');
    // This test's own process stands for the other launcher: the server is its child.
    const { pid: runningPid } = await serverWithAWrite(dir, 'child');
    try {
      await expect(startPrivateRedis({ role: 'bus', dataDir, logDir: dataDir, cwd: dataDir })).rejects.toThrow(
        new RegExp(`another launcher \\(pid ${process.pid}\\) runs a redis-server \\(pid ${runningPid}\\)`),
      );
      expect(isProcessAlive(runningPid)).toBe(true);
    } finally {
      process.kill(runningPid, 'SIGKILL');
    }
  });

  it("leaves alone a server that a stale pid file names but that serves another directory", async () => {
    const { pid: otherPid } = await serverWithAWrite(join(dataDir, 'elsewhere'), 'child');
    try {
      // A pid file left by a server of this directory that died, whose pid another system's server now has.
      const dir = join(dataDir, 'redis', 'region-stale');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, REDIS_PID_FILE), `${otherPid}\n`);
      const redis = await startPrivateRedis({ role: 'store', name: 'region-stale', dataDir, logDir: dataDir, cwd: dataDir });
      await redis.process.stop();
      expect(isProcessAlive(otherPid)).toBe(true);
    } finally {
      process.kill(otherPid, 'SIGKILL');
    }
  });
});

/** The launcher's own way of running a server (redis.ts), in `dir`. */
function serverArgs(dir: string, port: number): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--pidfile', join(dir, REDIS_PID_FILE), '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
}

/**
 * A redis-server on `dir` holding one write it acknowledged (appendfsync
 * always), up and with its pid file written: this test process's child, or
 * an orphan adopted by init (started through a shell that exits at once).
 */
async function serverWithAWrite(dir: string, parent: 'child' | 'orphan'): Promise<{ pid: number }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = serverArgs(dir, port);
  const quoted = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
  const pid =
    parent === 'child'
      ? (spawn('redis-server', args, { stdio: 'ignore' }).pid as number)
      : Number(spawnSync('sh', ['-c', `redis-server ${args.map(quoted).join(' ')} >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).stdout.trim());
  try {
    await waitFor(() => existsSync(join(dir, REDIS_PID_FILE)) && readFileSync(join(dir, REDIS_PID_FILE), 'utf8').trim() === String(pid), { timeoutMs: 15_000, description: 'the server up, its pid file written' });
    const client = await connectRedis(`redis://127.0.0.1:${port}`);
    await client.set('acknowledged', 'before the launcher died');
    await client.close();
  } catch (error) {
    if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    throw error;
  }
  return { pid };
}
