import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from 'tributary';
import { startPrivateRedis } from '../src/redis.ts';

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
});
