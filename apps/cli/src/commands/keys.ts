import type { Command } from 'commander';
import { rotateServiceKey, RotationError, type RotationResult } from '@tributary/launcher/rotate';
import { SERVICES, type ServiceName } from '@tributary/launcher/services';
import { sameServer } from '@tributary/launcher/credentials';
import { CliError, EXIT } from '../errors.ts';
import type { Output } from '../output.ts';
import { cliRedisTls, dataDir, describe, systemRedisUrl } from '../redis.ts';

interface RotateOptions {
  all: boolean;
  busUrl?: string;
  storeUrl?: string;
  json: boolean;
}

function serviceList(): string {
  return SERVICES.join(', ');
}

export function registerKeys(program: Command, output: Output): void {
  const keys = program.command('keys').description("the services' Redis passwords (each service's own ACL user)");
  keys
    .command('rotate')
    .argument('[service]', `the service whose password to rotate: ${serviceList()}`)
    .description('give a service a new Redis password on both servers without a failed request: add it, move every instance onto it, remove the old')
    .option('--all', 'every service, one after the other', false)
    .option('--bus-url <redis url>', 'the bus Redis as a user that may run ACL. Default: the URL `npm start` writes to .data/bus-redis.url, else $BUS_REDIS_URL')
    .option('--store-url <redis url>', 'the store Redis, likewise (.data/store-redis.url, else $STORE_REDIS_URL)')
    .option('--json', 'what was rotated as one JSON object', false)
    .addHelpText(
      'after',
      '\nRun where the system runs: it reads and updates <data dir>/service-credentials.json and each service\'s password file.\n' +
        'A rotation cut short (a crash, a server away) leaves every service able to connect; run the command again to finish it.\n' +
        'Exit status: 0 when rotated, 1 when the system cannot be reached or a step failed, 2 usage (unknown service).',
    )
    .action(async (service: string | undefined, options: RotateOptions) => rotate(service, options, output));
}

function wanted(service: string | undefined, all: boolean): ServiceName[] {
  if (all && service) throw new CliError('give a service or --all, not both', EXIT.usage);
  if (all) return [...SERVICES];
  if (!service) throw new CliError(`which service? give one (${serviceList()}) or --all`, EXIT.usage);
  if (!(SERVICES as readonly string[]).includes(service)) throw new CliError(`no service "${service}"; the services are ${serviceList()}`, EXIT.usage);
  return [service as ServiceName];
}

async function rotate(service: string | undefined, options: RotateOptions, output: Output): Promise<void> {
  const services = wanted(service, options.all);
  const directory = dataDir();
  const url = (role: 'bus' | 'store', given: string | undefined) => {
    try {
      return systemRedisUrl(role, given);
    } catch {
      throw new CliError(`no running system found at ${directory} (no .data/${role}-redis.url): start it with \`npm start\`, or pass --${role}-url (and set TRIBUTARY_DATA_DIR to its data directory)`);
    }
  };
  const bus = url('bus', options.busUrl);
  const store = url('store', options.storeUrl);
  // One server for both: the bus users are the store users there (the launcher does the same).
  const urls = sameServer(bus, store) ? { bus } : { bus, store };
  const tls = { bus: cliRedisTls('bus', process.env, bus), store: cliRedisTls('store', process.env, store) };
  const results: RotationResult[] = [];
  for (const name of services) {
    try {
      results.push(await rotateServiceKey({ dataDir: directory, urls, tls, service: name, say: (line) => output.error(line) }));
    } catch (error) {
      const done = results.length > 0 ? ` (rotated before it: ${results.map((result) => result.service).join(', ')})` : '';
      if (error instanceof RotationError) throw new CliError(`${name}: ${error.message}${done}`);
      throw new CliError(`${name}: rotation stopped: ${describe(error)}; every service can still connect, run the command again to finish it${done}`);
    }
  }
  if (options.json) {
    output.line(JSON.stringify({ rotated: results }));
    return;
  }
  for (const result of results) {
    output.line(`${result.service}: ${output.green('rotated')} on ${result.roles.join(' and ')} Redis${result.resumed ? ' (finished a rotation an earlier run began)' : ''}`);
  }
}
