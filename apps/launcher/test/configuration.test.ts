import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from 'tributary/testing';
import { profiledServices, startSystem } from '../src/system.ts';
import { EXIT_CONFIG, Supervised } from '../src/supervisor.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-launcher-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a setting the system cannot use', () => {
  it('stops start-up at once with the setting named, before any service starts', async () => {
    const events: string[] = [];
    const started = startSystem({
      rootDir: resolve(import.meta.dirname, '..', '..', '..'),
      dataDir,
      gatewayPort: await freePort(),
      // A cluster has no database number: the URL is wrong before anything connects.
      busRedisUrl: 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001/2',
      storeRedisUrl: 'redis://127.0.0.1:1',
      onEvent: (line) => events.push(line),
    });
    await expect(started).rejects.toThrow(/BUS_REDIS_URL is not of the form redis\+cluster:\/\/.*no database number/);
    expect(events.filter((line) => / ready on /.test(line))).toEqual([]);
  });

  it('an unreadable TLS file for a rediss:// server, or a TRIBUTARY_REDIS_TLS it does not know, is TRIB_INVALID_CONFIG before anything starts', async () => {
    const events: string[] = [];
    const start = (env: Record<string, string>, busRedisUrl?: string) =>
      startSystem({
        rootDir: resolve(import.meta.dirname, '..', '..', '..'),
        dataDir,
        gatewayPort: 1,
        ...(busRedisUrl ? { busRedisUrl } : {}),
        env,
        onEvent: (line) => events.push(line),
      });
    await expect(start({ BUS_REDIS_TLS_CA_FILE: join(dataDir, 'no-ca.pem') }, 'rediss://127.0.0.1:1')).rejects.toMatchObject({
      code: 'TRIB_INVALID_CONFIG',
      message: expect.stringMatching(/BUS_REDIS_TLS_CA_FILE: cannot read .*no-ca\.pem \(ENOENT\)/),
    });
    await expect(start({ TRIBUTARY_REDIS_TLS: 'yes' })).rejects.toMatchObject({ code: 'TRIB_INVALID_CONFIG', message: expect.stringMatching(/TRIBUTARY_REDIS_TLS must be on or off/) });
    expect(events).toEqual([]);
  });

  it('names a service to profile that does not exist, before anything starts', async () => {
    const events: string[] = [];
    const started = startSystem({
      rootDir: resolve(import.meta.dirname, '..', '..', '..'),
      dataDir,
      gatewayPort: await freePort(),
      cpuProfileDir: join(dataDir, 'profiles'),
      env: { TRIBUTARY_CPU_PROF_SERVICES: 'ordering,orderin' },
      onEvent: (line) => events.push(line),
    });
    await expect(started).rejects.toThrow(/TRIBUTARY_CPU_PROF_SERVICES names no service "orderin"/);
    expect(events).toEqual([]);
  });

  it('profiles every service when the list is empty, the named ones otherwise, none without a directory', () => {
    expect(profiledServices('/tmp/p', undefined).size).toBeGreaterThan(10);
    expect([...profiledServices('/tmp/p', ' gateway , ordering ')]).toEqual(['gateway', 'ordering']);
    expect(profiledServices(undefined, 'gateway').size).toBe(0);
  });

  it('is not restarted when a process exits with the configuration exit code', async () => {
    const reasons: string[] = [];
    const supervised = new Supervised({
      name: 'misconfigured',
      command: process.execPath,
      args: ['-e', `process.exit(${EXIT_CONFIG})`],
      cwd: dataDir,
      env: {},
      logFile: join(dataDir, 'misconfigured.log'),
      onGiveUp: (reason) => reasons.push(reason),
    });
    supervised.start();
    await waitFor(() => reasons.length === 1, { description: 'the supervisor gives up' });
    expect(reasons[0]).toContain('cannot run with its configuration');
    expect(supervised.restartCount).toBe(0);
    await supervised.stop();
  });

  it('is restarted when a process crashes for another reason', async () => {
    const supervised = new Supervised({
      name: 'crashing',
      command: process.execPath,
      args: ['-e', 'process.exit(1)'],
      cwd: dataDir,
      env: {},
      logFile: join(dataDir, 'crashing.log'),
    });
    supervised.start();
    await waitFor(() => supervised.restartCount >= 2, { description: 'restarted twice' });
    await supervised.stop();
  });
});
