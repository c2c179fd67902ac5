import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT } from '../errors.ts';
import { callGateway, getJson, resolveApiKey, resolveGatewayUrl, Unreachable, withApiKeyOption, withGatewayOption, type AdminOptions, type GatewayOptions } from '../gateway.ts';
import type { Output } from '../output.ts';
import { BUS_URL_FILE, STORE_URL_FILE } from '@tributary/launcher/services';
import { dataDir, describe, positiveInteger } from '../redis.ts';
import { duration, table } from '../table.ts';
import { isProcessAlive } from 'tributary';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..', '..');
/** Exactly what `npm start` runs: installs what is missing, then runs apps/launcher. */
const START_SCRIPT = join(repoRoot, 'scripts', 'start.mjs');

export const PID_FILE = 'launcher.pid';
export const LOG_FILE = 'launcher.log';

interface StartOptions extends GatewayOptions {
  foreground: boolean;
  timeout: number;
  scale?: string;
}
interface StopOptions {
  timeout: number;
}
interface StatusOptions extends AdminOptions {
  json: boolean;
}

export interface ServiceHealth {
  name: string;
  url: string;
  up: boolean;
  version: string | null;
  instance: string | null;
  pid: number | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  error: string | null;
}

export type LauncherState = { kind: 'none' } | { kind: 'stale'; pid: number; why: string } | { kind: 'running'; pid: number };

const paths = () => {
  const dir = dataDir();
  return { dir, pidFile: join(dir, PID_FILE), logFile: join(dir, LOG_FILE) };
};

/** What the pid file says, checked: a pid whose process is gone, or is not the launcher (a reused pid), is stale. */
export function launcherState(pidFile: string): LauncherState {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8').trim();
  } catch {
    return { kind: 'none' };
  }
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) return { kind: 'stale', pid: 0, why: `the pid file holds "${text.slice(0, 40)}"` };
  if (!isProcessAlive(pid)) return { kind: 'stale', pid, why: `process ${pid} is gone` };
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!commandLine.includes('start.mjs')) return { kind: 'stale', pid, why: `process ${pid} is not the launcher (its pid was reused)` };
  } catch {
    // no /proc: trust kill(0)
  }
  return { kind: 'running', pid };
}

/** Reports and removes a stale pid file; returns the state to act on. */
function checkedState(pidFile: string, output: Output, quiet = false): LauncherState {
  const state = launcherState(pidFile);
  if (state.kind === 'stale') {
    rmSync(pidFile, { force: true });
    if (!quiet) output.error(`tributary: stale pid file ${pidFile} removed (${state.why})`);
  }
  return state;
}

async function healthy(base: string): Promise<boolean> {
  try {
    return (await callGateway(base, 'GET', '/healthz', { timeoutMs: 1_500 })).status === 200;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Waits for `pid` to exit; false at the deadline. */
async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) return false;
    await pause(100);
  }
  return true;
}

export function registerLauncher(program: Command, output: Output): void {
  withGatewayOption(
    program
      .command('start')
      .description('start the whole system (what `npm start` runs) in the background; returns once the gateway and every service answer')
      .option('--foreground', 'run it attached to this terminal instead (Ctrl-C stops it)', false)
      .option('--timeout <ms>', 'how long to wait for the system to come up', positiveInteger, 240_000)
      .option('--scale <list>', 'instances per service, as `npm start -- --scale`: ordering=3,accounts=2 or all=2 (sets TRIBUTARY_SCALE)'),
  )
    .addHelpText(
      'after',
      `\nThe launcher's pid goes to .data/${PID_FILE} and its output to .data/${LOG_FILE} ($TRIBUTARY_DATA_DIR if set).\n` +
        'PORT chooses the gateway port, as for `npm start`.\n' +
        'Exit status: 0 once up, 1 when it is already running, something else answers on the port, or it did not come up (the log\'s tail is shown).',
    )
    .action(async (options: StartOptions) => start(options, output));

  program
    .command('stop')
    .description('stop the system `tributary start` started (SIGTERM to the recorded pid, then wait for it to exit)')
    .option('--timeout <ms>', 'how long to wait for it to exit', positiveInteger, 60_000)
    .addHelpText('after', '\nExit status: 0 when stopped (or nothing was running), 1 when it is still running at the deadline.')
    .action(async (options: StopOptions) => stop(options, output));

  withApiKeyOption(
    withGatewayOption(
      program
        .command('status')
        .description('whether the launcher runs, and every service: up or down, version, uptime')
        .option('--json', 'one JSON object instead of the table', false),
    ),
  )
    .addHelpText('after', '\nExit status: 0 when every service is up, 1 otherwise (not running, gateway unreachable, a service down).')
    .action(async (options: StatusOptions) => status(options, output));
}

/** The launcher checks the list itself and exits with a usage line naming the service (shown from its log). */
const scaleEnv = (options: StartOptions): Record<string, string> => (options.scale === undefined ? {} : { TRIBUTARY_SCALE: options.scale });

async function start(options: StartOptions, output: Output): Promise<void> {
  const { dir, pidFile, logFile } = paths();
  const base = resolveGatewayUrl(options);
  mkdirSync(dir, { recursive: true });
  const state = checkedState(pidFile, output);
  if (state.kind === 'running') throw new CliError(`already running (pid ${state.pid}, ${pidFile}); \`tributary stop\` first`);
  if (await healthy(base)) {
    throw new CliError(`something already answers at ${base}/healthz (another system?): stop it, or start this one on another PORT`);
  }

  if (options.foreground) {
    const child = spawn(process.execPath, [START_SCRIPT], { cwd: repoRoot, env: { ...process.env, ...scaleEnv(options) }, stdio: 'inherit' });
    if (child.pid === undefined) throw new CliError(`could not run ${START_SCRIPT}`);
    writeFileSync(pidFile, `${child.pid}\n`);
    // Ctrl-C reaches the launcher through the terminal's process group: wait for it to finish stopping.
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', () => child.kill('SIGTERM'));
    const code = await new Promise<number>((done) => child.once('exit', (exitCode, signal) => done(exitCode ?? (signal ? EXIT.failed : EXIT.ok))));
    rmSync(pidFile, { force: true });
    process.exitCode = code;
    return;
  }

  // The launcher writes the Redis URL files once its start has returned (supervision in place): that, not
  // the gateway's health page alone, is "up". Left from a launcher that was killed, they would say so too early.
  const launcherDone = [BUS_URL_FILE, STORE_URL_FILE].map((file) => join(dir, file));
  for (const file of launcherDone) rmSync(file, { force: true });
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const log = openSync(logFile, 'a');
  // The launcher waits for the services as long as we wait for it (its own default is 60 s).
  const env = { ...process.env, ...scaleEnv(options), TRIBUTARY_READY_TIMEOUT_MS: process.env.TRIBUTARY_READY_TIMEOUT_MS ?? String(options.timeout) };
  const child = spawn(process.execPath, [START_SCRIPT], { cwd: repoRoot, env, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new CliError(`could not run ${START_SCRIPT}`);
  child.unref();
  writeFileSync(pidFile, `${pid}\n`);
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exited with ${code}`));
  output.line(`starting Tributary (pid ${pid}, log ${logFile})…`);

  const thisRun = () => {
    const text = tail(logFile, 400);
    const all = readFileSync(logFile, 'utf8');
    return all.length > logStart ? all.slice(logStart).trimEnd().split('\n').slice(-30).join('\n') : text;
  };
  const deadline = Date.now() + options.timeout;
  let services: ServiceHealth[] | null = null;
  for (;;) {
    if (exited !== null) {
      rmSync(pidFile, { force: true });
      throw new CliError(`the launcher ${exited} before the system came up. The log's tail (${logFile}):\n${thisRun()}`);
    }
    if (await healthy(base)) {
      try {
        // The system it starts inherits this environment, ADMIN_API_KEY included.
        services = (await getJson<{ services: ServiceHealth[] }>(base, '/api/system/services', 'services', resolveApiKey({}))).services;
        if (services.length > 0 && services.every((service) => service.up) && launcherDone.every((file) => existsSync(file))) break;
      } catch {
        // still starting
      }
    }
    if (Date.now() > deadline) {
      const down = services?.filter((service) => !service.up).map((service) => service.name) ?? [];
      child.kill('SIGTERM');
      const gone = await waitForExit(pid, 30_000);
      if (gone) rmSync(pidFile, { force: true });
      throw new CliError(
        `the system did not come up within ${options.timeout} ms${down.length ? ` (down: ${down.join(', ')})` : ''}; ` +
          `${gone ? 'stopped it' : `sent SIGTERM to pid ${pid}, still running`}. The log's tail (${logFile}):\n${thisRun()}`,
      );
    }
    await pause(250);
  }
  output.line(`${output.green('up')}: ${services.length} services, gateway ${base} (API docs ${base}/docs); \`tributary stop\` stops it`);
}

async function stop(options: StopOptions, output: Output): Promise<void> {
  const { pidFile } = paths();
  const state = checkedState(pidFile, output);
  if (state.kind === 'none') {
    output.line(`not running (no ${pidFile})`);
    return;
  }
  if (state.kind === 'stale') {
    output.line('not running');
    return;
  }
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch (error) {
    throw new CliError(`cannot signal pid ${state.pid}: ${describe(error)}`);
  }
  output.line(`stopping (pid ${state.pid})…`);
  if (!(await waitForExit(state.pid, options.timeout))) {
    throw new CliError(`pid ${state.pid} is still running ${options.timeout} ms after SIGTERM; run \`tributary stop\` again to wait longer, or kill it`);
  }
  rmSync(pidFile, { force: true });
  output.line('stopped');
}

async function status(options: StatusOptions, output: Output): Promise<void> {
  const { pidFile, logFile } = paths();
  const base = resolveGatewayUrl(options);
  const state = checkedState(pidFile, output, options.json);
  let services: ServiceHealth[] | null = null;
  let error: string | null = null;
  try {
    services = (await getJson<{ services: ServiceHealth[] }>(base, '/api/system/services', 'GET /api/system/services', resolveApiKey(options))).services;
  } catch (failure) {
    if (!(failure instanceof CliError)) throw failure;
    error = failure instanceof Unreachable ? `cannot reach the gateway at ${base}` : failure.message;
  }
  const allUp = services !== null && services.length > 0 && services.every((service) => service.up);
  process.exitCode = allUp ? EXIT.ok : EXIT.failed;

  if (options.json) {
    output.line(
      JSON.stringify({
        running: state.kind === 'running',
        pid: state.kind === 'running' ? state.pid : null,
        stalePid: state.kind === 'stale' ? state.pid : null,
        pidFile,
        gateway: base,
        reachable: services !== null,
        error,
        allUp,
        services: services ?? [],
      }),
    );
    return;
  }
  switch (state.kind) {
    case 'running':
      output.line(`launcher: ${output.green('running')} (pid ${state.pid}, log ${logFile})`);
      break;
    case 'stale':
      output.line(`launcher: ${output.red('not running')} (stale pid file removed: ${state.why})`);
      break;
    case 'none':
      output.line(`launcher: not started by \`tributary start\` (no ${pidFile})`);
  }
  if (services === null) {
    output.line(`gateway: ${output.red('unreachable')} (${error})`);
    return;
  }
  output.line(`gateway: ${base}`);
  for (const line of table(
    ['SERVICE', 'STATUS', 'VERSION', 'UPTIME', 'INSTANCE', 'PID'],
    services.map((service) => [
      service.name,
      service.up ? output.green('up') : `${output.red('down')}${service.error ? ` (${service.error})` : ''}`,
      service.version ?? '-',
      duration(service.uptimeSeconds),
      service.instance ?? '-',
      service.pid === null ? '-' : String(service.pid),
    ]),
  )) {
    output.line(line);
  }
  const up = services.filter((service) => service.up).length;
  output.line(`${up}/${services.length} up`);
}
