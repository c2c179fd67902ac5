import { parentPort, workerData } from 'node:worker_threads';
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * The first module of a service running as a thread of the service host
 * (service-host.ts): stack traces through the bundles' source maps, then the
 * service's own bundle, as `node --import stack-traces.mjs <service>.mjs`
 * does for a service process.
 */
const { entry, stackTraces } = workerData as { entry: string; stackTraces: string };

// Signals reach a process's main thread only: the host passes SIGTERM and
// SIGINT on as messages, and runService's listeners receive them as if sent.
parentPort?.on('message', (message: unknown) => {
  if (message === 'SIGTERM' || message === 'SIGINT') process.emit(message, message);
});
// The port must not keep a service alive that has nothing else left to do.
parentPort?.unref();

// Written straight to the service's log (the host's pipes need its main thread): a start that stalls
// shows whether the thread ran at all, and since when.
const logFd = Number(process.env.TRIBUTARY_LOG_FD);
if (Number.isSafeInteger(logFd) && logFd > 2) {
  writeSync(logFd, `${new Date().toISOString()} [service-host] thread started, loading ${entry}\n`);
}

await import(pathToFileURL(stackTraces).href);
await import(pathToFileURL(entry).href);
