import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { TributaryError } from '../errors.ts';

/**
 * A running PGlite's data directory as a gzipped tarball. PGlite runs one
 * transaction at a time: taken inside one of its own (which writes nothing),
 * the dump waits for the transaction in progress to end and no other starts
 * until it is done, so the files hold exactly the commits so far. The
 * CHECKPOINT writes them into the tables, so the copy starts without
 * replaying WAL.
 */
export async function dumpPglite(db: PGlite): Promise<Uint8Array<ArrayBuffer>> {
  const tarball = await db.transaction(async (tx) => {
    await tx.query('CHECKPOINT');
    return db.dumpDataDir('gzip');
  });
  return new Uint8Array(await tarball.arrayBuffer());
}

/**
 * Makes `dataDir` (absent or empty) the database in `tarball`, as a service
 * opening `pglite://<dataDir>` will find it: PGlite unpacks it, starts on it
 * once (recovering it) and closes.
 */
export async function loadPgliteDump(dataDir: string, tarball: Uint8Array<ArrayBuffer>): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) throw new TributaryError('TRIB_NOT_EMPTY', `${dataDir} is not empty: a dump is only loaded into a new database directory`);
  mkdirSync(dirname(dataDir), { recursive: true });
  const db = await PGlite.create({ dataDir, loadDataDir: new Blob([tarball]) });
  try {
    await db.query('SELECT 1');
  } finally {
    await db.close();
  }
}
