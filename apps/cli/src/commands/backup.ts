import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { schemaOf } from '@tributary/launcher/database-roles';
import { BUS_URL_FILE, INTERNAL_KEY_FILE, SQL_SERVICES, STORE_URL_FILE } from '@tributary/launcher/services';
import { redactUrl } from 'tributary';
import { loadPgliteDump } from 'tributary/sql';
import { copyInto, lakeDir, lakeFiles } from '../backup/lake.ts';
import { describeFile, MANIFEST_FORMAT, MANIFEST_VERSION, verifyBackup, writeManifest, type BackupFile } from '../backup/manifest.ts';
import { checkRestoreTarget, dumpSchemas, restoreSchemas, type SchemaDump } from '../backup/postgres.ts';
import { checkRedisTarget, loadRdbIntoAof, loadRdbIntoServer, snapshotRedis } from '../backup/redis-rdb.ts';
import { CliError, EXIT } from '../errors.ts';
import { getJson, resolveApiKey, resolveGatewayUrl, withApiKeyOption, withGatewayOption, type AdminOptions } from '../gateway.ts';
import type { Output } from '../output.ts';
import { dataDir, describe, systemRedisUrl as redisUrl } from '../redis.ts';
import { launcherState, PID_FILE, type ServiceHealth } from './launcher.ts';

interface BackupOptions extends AdminOptions {
  busUrl?: string;
  storeUrl?: string;
  internalKey?: string;
  databaseUrl?: string;
  skipSql: boolean;
}

interface RestoreOptions {
  busUrl?: string;
  storeUrl?: string;
  databaseUrl?: string;
  force: boolean;
}

type Role = 'bus' | 'store';

function pgliteVersion(): string {
  try {
    return (createRequire(import.meta.url)('@electric-sql/pglite/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const isEmptyOrAbsent = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0;

function internalKey(options: BackupOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (options.internalKey) return options.internalKey;
  if (env.INTERNAL_API_KEY) return env.INTERNAL_API_KEY;
  const file = join(dataDir(env), INTERNAL_KEY_FILE);
  try {
    const key = readFileSync(file, 'utf8').trim();
    if (key) return key;
  } catch {
    // below
  }
  throw new CliError(`no internal key to ask the SQL services for their databases: pass --internal-key, set INTERNAL_API_KEY, or run this where \`npm start\` runs (it keeps ${file})`, EXIT.usage);
}

async function dumpDatabase(service: string, url: string, key: string, file: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${url}/database/dump`, { method: 'POST', headers: { 'x-internal-key': key }, signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    throw new CliError(`cannot reach ${service} at ${url} for its database: ${describe(error)}`);
  }
  if (response.status === 404) {
    throw new CliError(
      `${service} has no PGlite to dump: it runs on a PostgreSQL server. Give that database (the system's DATABASE_URL) with --database-url ` +
        'or $DATABASE_URL, and the backup takes its schemas with pg_dump (docs/operations.md, "Backup and restore")',
    );
  }
  if (response.status !== 200) throw new CliError(`${service} refused its database dump: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  writeFileSync(file, Buffer.from(await response.arrayBuffer()), { mode: 0o600 });
}

export function registerBackup(program: Command, output: Output): void {
  withApiKeyOption(
    withGatewayOption(
      program
        .command('backup')
        .argument('<dir>', 'a new (or empty) directory for the backup')
        .description('copy a running system: both Redis servers (RDB), every SQL service\'s database (its PGlite, or its schema on PostgreSQL with pg_dump), the delivery lake, and a manifest with checksums')
        .option('--bus-url <redis url>', `the bus Redis as a user that may run SYNC. Default: the URL \`npm start\` writes to .data/${BUS_URL_FILE}, else $BUS_REDIS_URL`)
        .option('--store-url <redis url>', `the store Redis, likewise (.data/${STORE_URL_FILE}, else $STORE_REDIS_URL)`)
        .option('--internal-key <key>', 'the key the services ask for. Default: $INTERNAL_API_KEY, else .data/internal-key (never printed)')
        .option('--database-url <postgres url>', 'the PostgreSQL database the system runs on (its DATABASE_URL), as a user that may read every service\'s schema: each schema is taken with pg_dump. Default: $DATABASE_URL; without either, each service dumps its PGlite')
        .option('--skip-sql', 'leave the SQL databases out (you back them up yourself)', false),
    ),
  )
    .addHelpText(
      'after',
      '\nEach part is a consistent copy of itself; docs/operations.md ("Backup and restore") says what that means across parts.\n' +
        'Exit status: 0 when the backup is complete (manifest.json written last), 1 when a part failed (the directory is removed), 2 usage.',
    )
    .action(async (dir: string, options: BackupOptions) => backup(resolve(dir), options, output));

  program
    .command('restore')
    .argument('<dir>', 'a directory `tributary backup` wrote')
    .description('bring new servers to a backup: a new data directory ($TRIBUTARY_DATA_DIR, else .data) for the next `npm start`, or empty Redis and PostgreSQL servers you name')
    .option('--bus-url <redis url>', 'load the bus snapshot into this (empty) Redis server instead of the data directory\'s private one')
    .option('--store-url <redis url>', 'likewise for the store snapshot')
    .option('--force', 'empty (FLUSHALL) a --bus-url/--store-url server that holds keys, instead of refusing', false)
    .option('--database-url <postgres url>', 'the PostgreSQL database the schemas of a PostgreSQL backup go into (the next start\'s DATABASE_URL). Default: $DATABASE_URL')
    .addHelpText(
      'after',
      '\nRefuses, before writing anything: a data directory a launcher runs on or that already holds data, a Redis target with keys (without --force),\n' +
        'a database whose service schemas hold tables, and a backup whose files do not match its manifest.\n' +
        'Exit status: 0 when restored, 1 when refused or failed, 2 usage.',
    )
    .action(async (dir: string, options: RestoreOptions) => restore(resolve(dir), options, output));
}

async function backup(dir: string, options: BackupOptions, output: Output): Promise<void> {
  if (!isEmptyOrAbsent(dir)) throw new CliError(`${dir} is not empty: a backup goes into a new directory`);
  const urls: Record<Role, string> = { bus: redisUrl('bus', options.busUrl), store: redisUrl('store', options.storeUrl) };
  const databaseUrl = options.skipSql ? null : (options.databaseUrl || process.env.DATABASE_URL || null);
  const key = options.skipSql || databaseUrl !== null ? null : internalKey(options);
  const base = resolveGatewayUrl(options);
  const services = (await getJson<{ services: ServiceHealth[] }>(base, '/api/system/services', 'GET /api/system/services', resolveApiKey(options))).services;
  const down = services.filter((service) => !service.up && !service.name.endsWith('-redis')).map((service) => service.name);
  if (down.length > 0) throw new CliError(`not every service is up (${down.join(', ')}): a backup needs every database's owner to answer`);

  mkdirSync(dir, { recursive: true });
  try {
    const files: Array<Omit<BackupFile, 'bytes' | 'sha256'>> = [];
    const redisVersions: Record<string, string> = {};
    let postgres: { server: string; pgDump: string } | null = null;
    // Redis first: a database dumped after it may hold effects of events the snapshot still has as pending, which a restored consumer gets again and skips (handled markers).
    mkdirSync(join(dir, 'redis'));
    await Promise.all(
      (['bus', 'store'] as const).map(async (role) => {
        const path = join('redis', `${role}.rdb`);
        redisVersions[role] = await snapshotRedis(urls[role], join(dir, path), role);
        files.push({ path, kind: 'redis-rdb', role });
      }),
    );
    output.line(`redis: bus ${redactUrl(urls.bus)} and store ${redactUrl(urls.store)} snapshotted`);

    if (key !== null) {
      mkdirSync(join(dir, 'pg'));
      await Promise.all(
        SQL_SERVICES.map(async (service) => {
          const url = services.find((row) => row.name === service)?.url;
          if (!url) throw new CliError(`the gateway does not list ${service}`);
          const path = join('pg', `${service}.tar.gz`);
          await dumpDatabase(service, url, key, join(dir, path));
          files.push({ path, kind: 'pglite-datadir', service });
        }),
      );
      output.line(`databases: ${SQL_SERVICES.join(', ')} dumped`);
    } else if (databaseUrl !== null) {
      mkdirSync(join(dir, 'pg'));
      const dumps: SchemaDump[] = SQL_SERVICES.map((service) => ({ service, schema: schemaOf(service), file: join('pg', `${service}.pgdump`) }));
      postgres = await dumpSchemas(databaseUrl, dumps.map((dump) => ({ ...dump, file: join(dir, dump.file) })));
      for (const dump of dumps) files.push({ path: dump.file, kind: 'pg-dump', service: dump.service, schema: dump.schema });
      output.line(`databases: schemas ${dumps.map((dump) => dump.schema).join(', ')} of ${redactUrl(databaseUrl)} dumped from one snapshot (pg_dump ${postgres.pgDump}, server ${postgres.server})`);
    }

    // Last: every batch the dumped delivery-history database calls written is in the lake by now.
    const lake = lakeDir(dataDir());
    const parquet = lakeFiles(lake);
    for (const file of parquet) {
      const path = join('lake', file);
      copyInto(join(lake, file), join(dir, path));
      files.push({ path, kind: 'lake-parquet' });
    }
    output.line(`lake: ${parquet.length} Parquet file${parquet.length === 1 ? '' : 's'} from ${lake}`);

    files.sort((a, b) => a.path.localeCompare(b.path));
    writeManifest(dir, {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      createdAt: new Date().toISOString(),
      order: ['redis', ...(options.skipSql ? [] : ['sql']), 'lake'],
      versions: {
        redis: redisVersions,
        pglite: pgliteVersion(),
        ...(postgres ? { postgres } : {}),
        services: Object.fromEntries(services.filter((row) => row.version !== null && !row.name.endsWith('-redis')).map((row) => [row.name, row.version as string])),
      },
      skipped: options.skipSql ? ['sql'] : [],
      files: await Promise.all(files.map((file) => describeFile(dir, file))),
    });
  } catch (error) {
    // A directory without its manifest is no backup: leave nothing that looks like one.
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  output.line(`${output.green('backed up')} to ${dir} (manifest.json)`);
}

/** What makes a data directory not new for the parts restored into it: data of Redis, a database or the lake, or a system's URL files. */
function inUse(target: string, parts: { redis: boolean; pglite: boolean }): string[] {
  const found: string[] = [];
  if (parts.redis && !isEmptyOrAbsent(join(target, 'redis'))) found.push('redis/');
  if (parts.pglite && !isEmptyOrAbsent(join(target, 'pg'))) found.push('pg/');
  if (lakeFiles(lakeDir(target)).length > 0) found.push('lake files');
  if (parts.redis) for (const file of [BUS_URL_FILE, STORE_URL_FILE]) if (existsSync(join(target, file))) found.push(`${file} (a system runs on it, or was killed: remove the file if none runs)`);
  return found;
}

async function restore(dir: string, options: RestoreOptions, output: Output): Promise<void> {
  const target = dataDir();
  const state = launcherState(join(target, PID_FILE));
  if (state.kind === 'running') throw new CliError(`a launcher runs on ${target} (pid ${state.pid}): \`tributary stop\` it, or restore into a new TRIBUTARY_DATA_DIR`);
  const manifest = await verifyBackup(dir);
  const servers: Partial<Record<Role, string>> = { ...(options.busUrl ? { bus: options.busUrl } : {}), ...(options.storeUrl ? { store: options.storeUrl } : {}) };
  const pgDumps = manifest.files.filter((file) => file.kind === 'pg-dump');
  const pglite = manifest.files.some((file) => file.kind === 'pglite-datadir');
  const databaseUrl = options.databaseUrl || process.env.DATABASE_URL || undefined;

  // Everything that can refuse does so before anything is written anywhere.
  const found = inUse(target, { redis: Object.keys(servers).length < 2, pglite });
  if (found.length > 0) throw new CliError(`${target} already holds data (${found.join(', ')}): restore into a new data directory (set TRIBUTARY_DATA_DIR), or move this one away`);
  if (pglite && databaseUrl) {
    throw new CliError(`this backup holds PGlite databases, which go into ${target}/pg, and a PostgreSQL database is given (${options.databaseUrl ? '--database-url' : 'DATABASE_URL'}): a system on PGlite runs without one; unset it`);
  }
  if (pgDumps.length > 0 && !databaseUrl) {
    throw new CliError(`this backup holds PostgreSQL schemas (${pgDumps.map((file) => file.schema).join(', ')}): give the database they go into with --database-url or $DATABASE_URL (a new one: CREATE DATABASE …)`, EXIT.usage);
  }
  for (const [role, url] of Object.entries(servers) as Array<[Role, string]>) await checkRedisTarget(url, role, options.force);
  if (pgDumps.length > 0 && databaseUrl) await checkRestoreTarget(databaseUrl, pgDumps.map((file) => file.schema as string), manifest.versions.postgres?.pgDump);

  mkdirSync(target, { recursive: true });
  const into: string[] = [];
  for (const [role, url] of Object.entries(servers) as Array<[Role, string]>) {
    const file = manifest.files.find((entry) => entry.kind === 'redis-rdb' && entry.role === role) as BackupFile;
    try {
      const keys = await loadRdbIntoServer(join(dir, file.path), url, options.force);
      into.push(`${role} Redis ${redactUrl(url)} (${keys} keys)`);
    } catch (error) {
      throw new CliError(`restoring ${file.path} into ${redactUrl(url)} failed: ${describe(error)}. That server is partly loaded: restore again with --force`);
    }
  }
  const restoreFile = async (file: BackupFile) => {
    const from = join(dir, file.path);
    try {
      if (file.kind === 'redis-rdb') await loadRdbIntoAof(from, join(target, 'redis', file.role as Role));
      else if (file.kind === 'pglite-datadir') await loadPgliteDump(join(target, 'pg', file.service as string), new Uint8Array(readFileSync(from)));
      else copyInto(from, join(lakeDir(target), file.path.slice('lake/'.length)));
    } catch (error) {
      throw new CliError(`restoring ${file.path} failed: ${describe(error)}. ${target} is partly restored: remove it before trying again`);
    }
  };
  // Two at a time: each PGlite started to load its dump holds a WebAssembly heap of its own.
  const queue = manifest.files.filter((file) => file.kind !== 'pg-dump' && !(file.kind === 'redis-rdb' && servers[file.role as Role]));
  await Promise.all([0, 1].map(async () => {
    for (let file = queue.shift(); file; file = queue.shift()) await restoreFile(file);
  }));
  if (pgDumps.length > 0 && databaseUrl) {
    await restoreSchemas(databaseUrl, pgDumps.map((file) => ({ service: file.service as string, schema: file.schema as string, file: join(dir, file.path) })));
    into.push(`schemas ${pgDumps.map((file) => file.schema).join(', ')} into ${redactUrl(databaseUrl)}`);
  }
  const count = (kind: BackupFile['kind']) => manifest.files.filter((file) => file.kind === kind).length;
  const aof = (['bus', 'store'] as const).filter((role) => !servers[role]);
  if (aof.length > 0) into.unshift(`${aof.join(' and ')} Redis${count('pglite-datadir') > 0 ? `, ${count('pglite-datadir')} database${count('pglite-datadir') === 1 ? '' : 's'}` : ''} into ${target}`);
  output.line(
    `${output.green('restored')} the backup of ${manifest.createdAt}: ${into.join('; ')}; ${count('lake-parquet')} lake file${count('lake-parquet') === 1 ? '' : 's'} into ${lakeDir(target)}` +
      `${manifest.skipped.includes('sql') ? ' (the SQL databases were not in it: restore them yourself)' : ''}; \`npm start\` runs on it`,
  );
}
