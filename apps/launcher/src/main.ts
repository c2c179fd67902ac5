import { join, resolve } from 'node:path';
import { redactUrl, TributaryError } from 'tributary';
import { EXIT_CONFIG } from 'tributary/service';
import { parseRegions, RegionsError, REGIONS_USAGE } from './regions.ts';
import { parseScale, SCALE_USAGE, ScaleError, SINGLE_INSTANCE, type Scale } from './scale.ts';
import { adminAuthBanner } from './secrets.ts';
import { startSystem } from './system.ts';
import { removeUrlFiles, writeUrlFiles } from './url-files.ts';

/** `npm start`: the whole system on this machine, until Ctrl-C. */
const rootDir = resolve(import.meta.dirname, '..', '..', '..');
const gatewayPort = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65_535) {
  console.error(`[tributary] could not start: PORT must be a port number (1-65535), got "${process.env.PORT}"`);
  process.exit(1);
}
const say = (line: string) => console.log(`[tributary] ${line}`);

const HELP = `npm start [-- options]: the whole system on this machine, until Ctrl-C.

Options:
  --scale <service>=<n>[,...]  run n instances of a service (consumer names <service>-0, <service>-1, ...)
  --scale all=<n>              n instances of every service that can have several; a named one wins
  --regions <n>|<a>,<b>[,...]  Active/Active regions (book chapter 4): each region gets a region Redis and
                               its own order-monitoring (and catalog, with DATABASE_URL); each after the
                               first its own gateway (PORT+1, PORT+2, ...). The bus and the databases
                               stay central. Default 1: one region, as always
  -h, --help                   this text

Environment: PORT (gateway, 8080), TRIBUTARY_DATA_DIR (.data), TRIBUTARY_SCALE (as --scale, which wins),
TRIBUTARY_REGIONS (as --regions, which wins),
BUS_REDIS_URL, STORE_REDIS_URL, DATABASE_URL (PostgreSQL; without it the SQL services use PGlite
and run as one instance each); README.md lists the rest.

Always one instance: ${Object.entries(SINGLE_INSTANCE).map(([name, why]) => `${name} (${why})`).join('; ')}.`;

/** --scale from the command line (npm start -- --scale ...) or TRIBUTARY_SCALE; one of each without either. */
function scaleFromArgs(args: string[]): { scale?: Scale; notes: string[]; regions: string[] } {
  let text = process.env.TRIBUTARY_SCALE;
  let regionsText = process.env.TRIBUTARY_REGIONS;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-h' || arg === '--help') {
      console.log(HELP);
      process.exit(0);
    } else if (arg === '--scale') {
      text = args[++i];
      if (text === undefined) usage('--scale needs a value');
    } else if (arg.startsWith('--scale=')) {
      text = arg.slice('--scale='.length);
    } else if (arg === '--regions') {
      regionsText = args[++i];
      if (regionsText === undefined) usage('--regions needs a value', REGIONS_USAGE);
    } else if (arg.startsWith('--regions=')) {
      regionsText = arg.slice('--regions='.length);
    } else {
      usage(`unknown option "${arg}"`);
    }
  }
  let regions: string[];
  try {
    regions = parseRegions(regionsText);
  } catch (error) {
    if (error instanceof RegionsError) usage(error.message, REGIONS_USAGE);
    throw error;
  }
  if (text === undefined || text.trim() === '') return { notes: [], regions };
  try {
    return { ...parseScale(text, { database: Boolean(process.env.DATABASE_URL) }), regions };
  } catch (error) {
    if (error instanceof ScaleError) usage(error.message);
    throw error;
  }
}

function usage(problem: string, form = SCALE_USAGE): never {
  console.error(`[tributary] could not start: ${problem}\nusage: npm start -- ${form}\n(npm start -- --help for every option)`);
  process.exit(2);
}

const { scale, notes, regions } = scaleFromArgs(process.argv.slice(2));
if (regions.length > 0 && gatewayPort + regions.length - 1 > 65_535) usage(`--regions: the gateways need ports ${gatewayPort} to ${gatewayPort + regions.length - 1}`, REGIONS_USAGE);
for (const note of notes) say(note);
const dataDir = resolve(process.env.TRIBUTARY_DATA_DIR ?? join(rootDir, '.data'));
// How long every service has to answer /healthz; `tributary start --timeout` passes its own.
const readyTimeoutMs = Number(process.env.TRIBUTARY_READY_TIMEOUT_MS);

const system = await startSystem({
  rootDir,
  dataDir,
  gatewayPort,
  ...(process.env.BUS_REDIS_URL ? { busRedisUrl: process.env.BUS_REDIS_URL } : {}),
  ...(process.env.STORE_REDIS_URL ? { storeRedisUrl: process.env.STORE_REDIS_URL } : {}),
  ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  ...(Number.isInteger(readyTimeoutMs) && readyTimeoutMs > 0 ? { readyTimeoutMs } : {}),
  ...(scale ? { scale } : {}),
  ...(regions.length > 0 ? { regions } : {}),
  onEvent: say,
}).catch((error: Error) => {
  console.error(`[tributary] could not start: ${error.message}`);
  // A setting that can never work (a bad URL, an unreadable TLS file) is exit 78, as a service's own: a supervisor should not retry it.
  process.exit(error instanceof TributaryError && error.code === 'TRIB_INVALID_CONFIG' ? EXIT_CONFIG : 1);
});

writeUrlFiles(dataDir, system);
say(`bus ${redactUrl(system.busRedisUrl)}, store ${redactUrl(system.storeRedisUrl)}`);
say(`gateway: ${system.gatewayUrl}  (API docs: ${system.gatewayUrl}/docs, metrics: ${system.gatewayUrl}/metrics)`);
for (const region of system.regions) say(`region ${region.name}: gateway ${region.gatewayUrl}, region redis ${redactUrl(region.redisUrl)}`);
for (const line of adminAuthBanner(system.auth, system.gatewayUrl)) say(line);
say('press Ctrl-C to stop');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await system.stop();
  removeUrlFiles(dataDir);
  say('stopped; data kept under .data/');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// The private Redis servers have a process group of their own (supervisor.ts): a closed terminal must stop them too.
process.on('SIGHUP', stop);
