import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { HostCommand, HostReport } from './hosted.ts';

/**
 * The service host: one process that runs several services, each as a worker
 * thread with its own environment (credentials, port, instance name), its own
 * V8 heap and event loop, and its own log file. Sixteen Node processes each
 * mapped the same 40–45 MB of the Node binary and paid a process's fixed
 * costs; a thread pays neither (docs/benchmarks.md, Memory).
 *
 * The launcher decides what runs and restarts what dies (hosted.ts); this
 * process only starts threads, passes signals on, and reports each exit.
 * Started with an IPC channel to the launcher; when that closes (the
 * launcher is gone) the host ends, and its threads with it.
 */
interface Thread {
  worker: Worker;
  killed: boolean;
}

const YOUNG_GENERATION_MB = 6;
const threads = new Map<string, Thread>();
let shuttingDown = false;
const logs = new Map<string, { fd: number; stream: WriteStream }>();

function report(message: HostReport): void {
  if (process.connected) process.send?.(message);
}

/** Opened once per service and kept across its restarts: pino writes to the fd, console output goes through the stream. */
function logOf(id: string, file: string): { fd: number; stream: WriteStream } {
  let log = logs.get(id);
  if (!log) {
    const fd = openSync(file, 'a');
    log = { fd, stream: createWriteStream('', { fd, autoClose: false }) };
    logs.set(id, log);
  }
  return log;
}

function start(command: Extract<HostCommand, { type: 'start' }>): void {
  if (shuttingDown || threads.has(command.id)) return;
  const log = logOf(command.id, command.logFile);
  const worker = new Worker(command.threadEntry, {
    workerData: { entry: command.entry, stackTraces: command.stackTraces },
    env: { ...command.env, TRIBUTARY_LOG_FD: String(log.fd) },
    // The host's own flags are process-wide V8 settings already; `--import` is the thread entry's first line instead.
    execArgv: [],
    // V8's young generation of a worker is sized by Node, not by the process's `--max-semi-space-size`: the same 2 MB semi-spaces (× 3) as a service process.
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    stdout: true,
    stderr: true,
  });
  const thread: Thread = { worker, killed: false };
  threads.set(command.id, thread);
  worker.stdout.pipe(log.stream, { end: false });
  worker.stderr.pipe(log.stream, { end: false });
  worker.on('error', (error) => log.stream.write(`${new Date().toISOString()} [service-host] ${command.id} ended with an uncaught error: ${error.stack ?? String(error)}\n`));
  worker.once('exit', (code) => {
    threads.delete(command.id);
    report({ type: 'exit', id: command.id, code: thread.killed ? null : code, signal: thread.killed ? 'SIGKILL' : null });
    if (shuttingDown && threads.size === 0) process.exit(0);
  });
}

function signal(id: string, name: NodeJS.Signals): void {
  const thread = threads.get(id);
  if (!thread) return;
  if (name === 'SIGKILL') {
    // As abrupt as a thread's end can be: no finally block, no shutdown hook runs.
    thread.killed = true;
    void thread.worker.terminate();
  } else {
    thread.worker.postMessage(name);
  }
}

process.on('message', (message: HostCommand) => {
  if (message.type === 'start') start(message);
  else signal(message.id, message.signal);
});
process.on('disconnect', () => {
  for (const id of threads.keys()) signal(id, 'SIGKILL');
  process.exit(0);
});
// Ctrl-C reaches the whole process group and SIGTERM comes from the launcher: each thread shuts down as a process would, then the host ends.
for (const name of ['SIGTERM', 'SIGINT'] as const) {
  process.on(name, () => {
    shuttingDown = true;
    for (const id of threads.keys()) signal(id, name);
    if (threads.size === 0) process.exit(0);
  });
}
