import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from 'tributary/testing';
import { SERVICES } from '@tributary/launcher/services';
import { runCli } from './harness.ts';
import { isProcessAlive } from 'tributary';


/** The real `tributary start` / `status` / `stop`: the whole system once more, so one test. */
describe('tributary start, status, stop', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-cli-start-'));
  const pidFile = join(dataDir, 'launcher.pid');
  let pid: number | null = null;
  afterAll(async () => {
    // Whatever happened, leave no system behind.
    if (pid !== null && isProcessAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      await waitFor(() => !isProcessAlive(pid as number), { timeoutMs: 60_000, intervalMs: 200, description: 'the launcher gone' }).catch(() => process.kill(-(pid as number), 'SIGKILL'));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 90_000);

  it('starts the system detached, reports it all up, refuses a second start, stops it (the services asked for profiled)', { timeout: 400_000 }, async () => {
    const profiles = join(dataDir, 'profiles');
    // Two services profiled (a SQL one and the gateway): each a process of its own, the rest threads as usual.
    const profiledServices = ['gateway', 'ordering'];
    const env = {
      TRIBUTARY_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      TRIBUTARY_CPU_PROF_DIR: profiles,
      TRIBUTARY_CPU_PROF_SERVICES: profiledServices.join(','),
    };
    const start = await runCli(['start', '--timeout', '300000'], env);
    if (existsSync(pidFile)) pid = Number(readFileSync(pidFile, 'utf8'));
    expect(start.code, `${start.stdout}\n${start.stderr}`).toBe(0);
    expect(pid).toBeGreaterThan(0);
    expect(start.stdout).toContain(`gateway http://127.0.0.1:${env.PORT}`);
    expect(existsSync(join(dataDir, 'launcher.log'))).toBe(true);
    // For the CLI (`tail`, `lending`, `backup`): both Redis URLs, the launcher's own user.
    expect(readFileSync(join(dataDir, 'bus-redis.url'), 'utf8')).toMatch(/^redis:\/\/tributary-launcher:/);
    expect(readFileSync(join(dataDir, 'store-redis.url'), 'utf8')).toMatch(/^redis:\/\/tributary-launcher:/);

    const status = await runCli(['status', '--json'], env);
    expect(status.code, status.stdout).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid, reachable: true, allUp: true });

    const twice = await runCli(['start'], env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`already running (pid ${pid}`);

    const stop = await runCli(['stop'], env);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('stopped');
    expect(existsSync(pidFile)).toBe(false);
    expect(isProcessAlive(pid as number)).toBe(false);
    // The launcher's own clean-up ran: it removes the URL files on stop.
    expect(existsSync(join(dataDir, 'bus-redis.url'))).toBe(false);
    expect(existsSync(join(dataDir, 'store-redis.url'))).toBe(false);
    // TRIBUTARY_CPU_PROF_SERVICES: those two ran under --cpu-prof and wrote their profiles on the clean stop; no other did.
    for (const service of SERVICES) {
      const written = existsSync(join(profiles, service)) ? readdirSync(join(profiles, service)) : [];
      const profilesWritten = written.filter((name) => name.endsWith('.cpuprofile')).length;
      if (profiledServices.includes(service)) expect(profilesWritten, service).toBeGreaterThan(0);
      else expect(profilesWritten, service).toBe(0);
    }

    const after = await runCli(['status', '--json'], env);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ running: false, reachable: false, allUp: false });
  });
});
