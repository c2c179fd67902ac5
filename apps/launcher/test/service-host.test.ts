import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from 'tributary/testing';
import { bundle } from '../src/bundle.mjs';
import { HostedService, ServiceHost } from '../src/hosted.ts';
import { EXIT_CONFIG } from '../src/supervisor.ts';

/**
 * The service host with the launcher's own bundles (service-host.mjs,
 * service-thread.mjs) and a small stand-in service: it answers on its port
 * with its name, the process it runs in and when it started, logs through
 * the descriptor the host gives it, and shuts down on SIGTERM as runService
 * does. The real services run this way in every system test.
 */
const rootDir = resolve(import.meta.dirname, '..', '..', '..');
const buildDir = join(rootDir, 'node_modules', '.cache', 'tributary-service-host-test', randomUUID());
const dataDir = mkdtempSync(join(tmpdir(), 'tributary-service-host-'));
const STAND_IN = `
import { createServer } from 'node:http';
import { writeSync } from 'node:fs';
const log = (msg) => writeSync(Number(process.env.TRIBUTARY_LOG_FD), JSON.stringify({ service: process.env.NAME, msg }) + '\\n');
if (process.env.EXIT_CODE) process.exit(Number(process.env.EXIT_CODE));
const startedAt = crypto.randomUUID();
const server = createServer((_request, response) => response.end(JSON.stringify({ name: process.env.NAME, pid: process.pid, startedAt, secret: process.env.SECRET ?? null })));
server.listen(Number(process.env.PORT), '127.0.0.1', () => log('ready'));
process.on('SIGTERM', () => {
  log('shutting down');
  server.close(() => process.exit(0));
});
console.log('console output reaches the log too');
`;

let built: { host: string; thread: string; stackTraces: string; standIn: string };
const hosts: ServiceHost[] = [];
const services: HostedService[] = [];

beforeAll(async () => {
  const sources = join(rootDir, 'apps', 'launcher', 'src');
  await bundle({ 'service-host': join(sources, 'service-host.ts'), 'service-thread': join(sources, 'service-thread.ts'), 'stack-traces': join(sources, 'stack-traces.ts') }, buildDir);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'stand-in.mjs'), STAND_IN);
  built = { host: join(buildDir, 'service-host.mjs'), thread: join(buildDir, 'service-thread.mjs'), stackTraces: join(buildDir, 'stack-traces.mjs'), standIn: join(dataDir, 'stand-in.mjs') };
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop(2_000)));
  await Promise.all(hosts.map((host) => host.stop(2_000)));
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

function startHost(): ServiceHost {
  const host = new ServiceHost({ command: process.execPath, args: [built.host], cwd: rootDir, env: { PATH: process.env.PATH }, logFile: join(dataDir, `host-${hosts.length}.log`) });
  host.start();
  hosts.push(host);
  return host;
}

async function startService(host: ServiceHost, name: string, env: Record<string, string> = {}, onGiveUp?: (reason: string) => void) {
  const port = await freePort();
  const logFile = join(dataDir, `${name}.log`);
  const service = new HostedService(host, { name, logFile, ...(onGiveUp ? { onGiveUp } : {}) }, { threadEntry: built.thread, entry: built.standIn, stackTraces: built.stackTraces, env: { NAME: name, PORT: String(port), ...env } });
  service.start();
  services.push(service);
  return { service, port, logFile };
}

async function answer(port: number): Promise<{ name: string; pid: number; startedAt: string; secret: string | null } | null> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { name: string; pid: number; startedAt: string; secret: string | null };
  } catch {
    return null;
  }
}

describe('the service host', () => {
  it('runs each service as a thread of one process, with its own environment and its own log', async () => {
    const host = startHost();
    const first = await startService(host, 'first', { SECRET: 'first-only' });
    const second = await startService(host, 'second');
    const [one, two] = await Promise.all([first, second].map(({ port }) => waitFor(() => answer(port), { description: 'the service answers' })));
    expect(one).toMatchObject({ name: 'first', pid: host.pid, secret: 'first-only' });
    expect(two).toMatchObject({ name: 'second', pid: host.pid, secret: null });
    expect(first.service.pid).toBe(host.pid);
    await waitFor(() => readFileSync(second.logFile, 'utf8').includes('console output'), { description: 'console output in the log' });
    const lines = readFileSync(first.logFile, 'utf8');
    expect(lines).toContain('{"service":"first","msg":"ready"}');
    expect(lines).not.toContain('"second"');
  });

  it('restarts a killed thread and leaves the others running', async () => {
    const host = startHost();
    const victim = await startService(host, 'victim');
    const bystander = await startService(host, 'bystander');
    const before = await waitFor(() => answer(bystander.port), { description: 'bystander up' });
    const killed = await waitFor(() => answer(victim.port), { description: 'victim up' });
    await victim.service.signal('SIGKILL');
    const back = await waitFor(async () => {
      const now = await answer(victim.port);
      return now && now.startedAt !== killed.startedAt ? now : null;
    }, { description: 'the victim restarted' });
    expect(back.pid).toBe(host.pid);
    expect(victim.service.restartCount).toBe(1);
    expect(await answer(bystander.port)).toEqual(before);
    expect(bystander.service.restartCount).toBe(0);
  });

  it('brings every thread back in a new process when the host process is killed', async () => {
    const host = startHost();
    const started = await Promise.all(['a', 'b'].map((name) => startService(host, `host-kill-${name}`)));
    const firstPid = host.pid;
    await Promise.all(started.map(({ port }) => waitFor(() => answer(port), { description: 'up' })));
    await host.supervised.signal('SIGKILL');
    const after = await Promise.all(started.map(({ port }) => waitFor(async () => {
      const now = await answer(port);
      return now && now.pid !== firstPid ? now : null;
    }, { timeoutMs: 30_000, description: 'up again in the new host' })));
    expect(new Set(after.map((now) => now.pid))).toEqual(new Set([host.pid]));
    expect(started.map(({ service }) => service.restartCount)).toEqual([1, 1]);
  });

  it('stops a thread with SIGTERM through its own shutdown, and resumes it', async () => {
    const host = startHost();
    const paused = await startService(host, 'paused');
    await waitFor(() => answer(paused.port), { description: 'up' });
    await paused.service.pause();
    expect(await answer(paused.port)).toBeNull();
    expect(readFileSync(paused.logFile, 'utf8')).toContain('shutting down');
    expect(paused.service.restartCount).toBe(0);
    paused.service.resume();
    await waitFor(() => answer(paused.port), { description: 'up again' });
  });

  it('does not restart a thread that exits with the configuration exit code', async () => {
    const host = startHost();
    const reasons: string[] = [];
    const misconfigured = await startService(host, 'misconfigured', { EXIT_CODE: String(EXIT_CONFIG) }, (reason) => reasons.push(reason));
    await waitFor(() => reasons.length === 1, { description: 'the supervisor gives up' });
    expect(reasons[0]).toContain('cannot run with its configuration');
    expect(misconfigured.service.restartCount).toBe(0);
  });
});
