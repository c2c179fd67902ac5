/**
 * Archives old deliveries from the lookup store, for cron or an operator:
 *
 *   node --import tsx services/delivery-history/src/archive-cli.ts [--older-than-days N]
 *
 * Reads the service's configuration (database URL, DELIVERY_ARCHIVE_DAYS) as
 * main.ts does and prints `{"archived": n, "cutoff": "<ISO>"}`. On PGlite,
 * when the service is running it owns the database directory, so the CLI
 * asks it (POST /archive) instead of opening the directory a second time.
 * Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { INTERNAL_KEY_ENV, INTERNAL_KEY_HEADER } from 'tributary/http';
import { readServiceConfig } from 'tributary/service';
import { openDatabase } from 'tributary/sql';
import { SERVICE } from './app.ts';
import { createArchiver, type ArchiveResult } from './archiver.ts';
import { readHistoryConfig } from './config.ts';
import { ownerFilePath, readOwner } from './owner-file.ts';
import { installSchema } from './store/schema.ts';

function fail(code: number, message: string): never {
  process.stderr.write(`archive-deliveries: ${message}\n`);
  process.exit(code);
}

function parseDays(): number | undefined {
  let values: { 'older-than-days'?: string | undefined };
  try {
    ({ values } = parseArgs({ options: { 'older-than-days': { type: 'string' } }, strict: true }));
  } catch (error) {
    fail(2, `${(error as Error).message}\nusage: archive-cli.ts [--older-than-days N]`);
  }
  const raw = values['older-than-days'];
  if (raw === undefined) return undefined;
  if (!/^\d{1,4}$/.test(raw)) fail(2, `--older-than-days must be an integer from 0 to 9999 (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

/** The key the running service asks for: $INTERNAL_API_KEY, else the one the launcher keeps in the data directory. */
function internalKey(): string | null {
  if (process.env[INTERNAL_KEY_ENV]) return process.env[INTERNAL_KEY_ENV] as string;
  try {
    return readFileSync(join(process.env.TRIBUTARY_DATA_DIR ?? './.data', 'internal-key'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

async function viaService(address: string, olderThanDays: number | undefined): Promise<ArchiveResult> {
  const key = internalKey();
  const response = await fetch(new URL('/archive', address), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { [INTERNAL_KEY_HEADER]: key } : {}) },
    body: JSON.stringify(olderThanDays === undefined ? {} : { olderThanDays }),
  });
  const body: unknown = await response.json();
  const result = body as Partial<ArchiveResult>;
  if (!response.ok || typeof result.archived !== 'number' || typeof result.cutoff !== 'string') {
    throw new Error(`the running service answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return { archived: result.archived, cutoff: result.cutoff };
}

async function direct(databaseUrl: string, archiveDays: number, olderThanDays: number | undefined): Promise<ArchiveResult> {
  const db = await openDatabase(databaseUrl);
  try {
    await installSchema(db);
    return await createArchiver({ db, olderThanDays: archiveDays }).archive(olderThanDays === undefined ? {} : { olderThanDays });
  } finally {
    await db.close();
  }
}

const olderThanDays = parseDays();
let history: ReturnType<typeof readHistoryConfig>;
let databaseUrl: string;
try {
  history = readHistoryConfig();
  // The CLI never touches the bus; the placeholder only satisfies the shared config reader.
  databaseUrl = readServiceConfig(SERVICE, { ...process.env, BUS_REDIS_URL: process.env.BUS_REDIS_URL || 'redis://unused' }).databaseUrl;
} catch (error) {
  fail(2, (error as Error).message);
}
try {
  const ownerFile = ownerFilePath(databaseUrl);
  const owner = ownerFile ? readOwner(ownerFile) : null;
  if (owner && owner.address === null) fail(1, `the service (pid ${owner.pid}) is starting and owns the database; try again in a moment`);
  const result = owner?.address ? await viaService(owner.address, olderThanDays) : await direct(databaseUrl, history.archiveDays, olderThanDays);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  fail(1, (error as Error).message);
}
