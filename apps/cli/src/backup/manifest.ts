import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CliError } from '../errors.ts';

/** The file that describes a backup; written last, so a directory without it is not a (finished) backup. */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'tributary-backup';
/** 2 added PostgreSQL schema dumps (kind `pg-dump`, `versions.postgres`); a version 1 manifest is still read. */
export const MANIFEST_VERSION = 2;
const READ_VERSIONS = [1, 2];

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** One file of the backup: where it is (relative to the backup directory), what it holds, its size and digest. */
export const BackupFile = Type.Object(
  {
    path: Type.String({ minLength: 1 }),
    kind: Type.Union([Type.Literal('redis-rdb'), Type.Literal('pglite-datadir'), Type.Literal('pg-dump'), Type.Literal('lake-parquet')]),
    /** redis-rdb: which server. */
    role: Type.Optional(Type.Union([Type.Literal('bus'), Type.Literal('store')])),
    /** pglite-datadir, pg-dump: whose database. */
    service: Type.Optional(Type.String({ minLength: 1 })),
    /** pg-dump: the schema on the PostgreSQL server (a plain identifier: restore names it in SQL). */
    schema: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]*$' })),
    bytes: Type.Integer({ minimum: 0 }),
    sha256: Sha256,
  },
  { additionalProperties: false },
);
export type BackupFile = Static<typeof BackupFile>;

export const Manifest = Type.Object(
  {
    format: Type.Literal(MANIFEST_FORMAT),
    version: Type.Union([Type.Literal(1), Type.Literal(MANIFEST_VERSION)]),
    createdAt: Type.String(),
    /** Each part's copy was taken in this order, each consistent in itself (docs/operations.md, "Backup and restore"). */
    order: Type.Array(Type.String()),
    versions: Type.Object({
      redis: Type.Record(Type.String(), Type.String()),
      pglite: Type.String(),
      /** With pg-dump files: the server's version and pg_dump's (pg_restore must be as new). */
      postgres: Type.Optional(Type.Object({ server: Type.String(), pgDump: Type.String() }, { additionalProperties: false })),
      services: Type.Record(Type.String(), Type.String()),
    }),
    /** Parts deliberately left out (a PostgreSQL server's database, backed up with pg_dump). */
    skipped: Type.Array(Type.String()),
    files: Type.Array(BackupFile),
  },
  { additionalProperties: false },
);
export type Manifest = Static<typeof Manifest>;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file already written under `dir`, described for the manifest. */
export async function describeFile(dir: string, entry: Omit<BackupFile, 'bytes' | 'sha256'>): Promise<BackupFile> {
  const full = join(dir, entry.path);
  return { ...entry, bytes: statSync(full).size, sha256: await sha256File(full) };
}

export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

/** A manifest path must stay inside the backup directory: restore writes where it says. */
function safePath(path: string): boolean {
  const normalized = normalize(path);
  return !isAbsolute(path) && normalized === path && !normalized.split(sep).includes('..') && !path.includes('\\');
}

/**
 * The manifest of the backup in `dir`, once every file it lists is there,
 * inside the directory, with its size and SHA-256; every problem found is
 * in one CliError (exit 1), nothing is restored from a backup that fails.
 */
export async function verifyBackup(dir: string): Promise<Manifest> {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new CliError(`${dir} is not a backup: no ${MANIFEST_FILE} (an unfinished \`tributary backup\` leaves none)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new CliError(`${manifestPath} is not JSON: ${(error as Error).message}`);
  }
  const header = raw as { format?: unknown; version?: unknown } | null;
  if (header?.format === MANIFEST_FORMAT && typeof header.version === 'number' && !READ_VERSIONS.includes(header.version)) {
    throw new CliError(`${manifestPath} is a backup manifest of version ${header.version}; this tributary reads versions ${READ_VERSIONS.join(' and ')}${header.version > MANIFEST_VERSION ? ': restore it with the tributary that wrote it, or a newer one' : ''}`);
  }
  if (!Value.Check(Manifest, raw)) {
    const first = [...Value.Errors(Manifest, raw)].slice(0, 3).map((error) => `${error.path || '/'} ${error.message}`);
    throw new CliError(`${manifestPath} is not a Tributary backup manifest (format ${MANIFEST_FORMAT} version ${MANIFEST_VERSION}): ${first.join('; ')}`);
  }
  const manifest = raw;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const file of manifest.files) {
    if (!safePath(file.path)) {
      problems.push(`${JSON.stringify(file.path)} is not a path inside the backup`);
      continue;
    }
    if (seen.has(file.path)) problems.push(`${file.path} is listed twice`);
    seen.add(file.path);
    if (file.kind === 'redis-rdb' && file.role === undefined) problems.push(`${file.path}: a Redis snapshot without its role`);
    if (file.kind === 'pglite-datadir' && file.service === undefined) problems.push(`${file.path}: a database dump without its service`);
    if (file.kind === 'pg-dump' && (file.service === undefined || file.schema === undefined)) problems.push(`${file.path}: a PostgreSQL dump without its service and schema`);
    const full = join(dir, file.path);
    if (!existsSync(full)) {
      problems.push(`${file.path} is missing`);
      continue;
    }
    const bytes = statSync(full).size;
    if (bytes !== file.bytes) {
      problems.push(`${file.path} has ${bytes} bytes, the manifest says ${file.bytes}`);
      continue;
    }
    if ((await sha256File(full)) !== file.sha256) problems.push(`${file.path} does not match its SHA-256 in the manifest (changed or damaged)`);
  }
  for (const role of ['bus', 'store'] as const) {
    const count = manifest.files.filter((file) => file.kind === 'redis-rdb' && file.role === role).length;
    if (count !== 1) problems.push(`${count === 0 ? 'no' : `${count}`} ${role} Redis snapshot${count === 0 ? '' : 's'} (expected one)`);
  }
  if (manifest.files.some((file) => file.kind === 'pg-dump') && manifest.versions.postgres === undefined) problems.push('PostgreSQL dumps without versions.postgres (which pg_dump wrote them)');
  if (problems.length > 0) {
    const shown = problems.slice(0, 10);
    throw new CliError(`the backup in ${dir} does not match its manifest, nothing restored:\n  ${shown.join('\n  ')}${problems.length > shown.length ? `\n  …and ${problems.length - shown.length} more` : ''}`);
  }
  return manifest;
}
