import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, kitHttpErrors, type HttpErrorCatalogue } from '../packages/kit/src/errors.ts';

/**
 * The error catalogues and the code agree (docs/architecture.md, "Error
 * codes"): every code thrown, returned by a script or answered is declared,
 * and every declared code is used. The types already refuse an undeclared
 * code at a call; this catches what they cannot see (a Lua script, a cast, a
 * declaration left behind when its last throw went).
 */
const root = resolve(import.meta.dirname, '..');
const KIT = join(root, 'packages/kit/src');
const KIT_CATALOGUE = join(KIT, 'errors.ts');

/** What runs in a service: no tests, no test fixtures, not the kit's testing helpers (they run outside services). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'test', 'test-fixtures', 'testing'].includes(entry.name) ? [] : sources(path);
    return /\.(ts|lua)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const read = (path: string) => readFileSync(path, 'utf8');
const matches = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((match) => match[1] as string);
const where = (path: string) => relative(root, path);

const serviceNames = readdirSync(join(root, 'services')).filter((name) => existsSync(join(root, 'services', name, 'src')));
const kitFiles = sources(KIT);
const serviceFiles = new Map(serviceNames.map((name) => [name, sources(join(root, 'services', name, 'src'))]));
const everyFile = [...kitFiles, ...[...serviceFiles.values()].flat(), ...sources(join(root, 'apps'))];

interface ServiceCatalogue {
  constructorName: string;
  codes: HttpErrorCatalogue;
}

/** A service's src/errors.ts: the constructor `defineHttpErrors` made, found by its `codes`. */
async function serviceCatalogue(name: string): Promise<ServiceCatalogue | null> {
  const file = join(root, 'services', name, 'src', 'errors.ts');
  if (!existsSync(file)) return null;
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const found = Object.entries(module).filter(([, value]) => typeof value === 'function' && 'codes' in value);
  expect(found, `${where(file)} exports one constructor made by defineHttpErrors`).toHaveLength(1);
  const [constructorName, made] = found[0] as [string, { codes: HttpErrorCatalogue }];
  return { constructorName, codes: made.codes };
}

describe("the kit's TRIB_ codes", () => {
  const declared = new Set(Object.keys(errorCatalogue));

  it('every TRIB_ code thrown, matched or returned by a Lua script is declared', () => {
    const undeclared = everyFile
      .filter((path) => path !== KIT_CATALOGUE)
      .flatMap((path) => matches(read(path), /\b(TRIB_[A-Z0-9_]+)/g).filter((code) => !declared.has(code)).map((code) => `${code} in ${where(path)}`));
    expect(undeclared).toEqual([]);
  });

  it('every declared TRIB_ code is used', () => {
    const used = new Set(everyFile.filter((path) => path !== KIT_CATALOGUE).flatMap((path) => matches(read(path), /\b(TRIB_[A-Z0-9_]+)/g)));
    expect([...declared].filter((code) => !used.has(code))).toEqual([]);
  });

  it('a Lua error reply carries a declared code first', () => {
    const uncoded = everyFile
      .filter((path) => path.endsWith('.lua'))
      .flatMap((path) => matches(read(path), /redis\.error_reply\('([^']*)/g).filter((reply) => !declared.has(reply.split(' ')[0] as string)).map((reply) => `${where(path)}: ${reply}`));
    expect(uncoded).toEqual([]);
  });

  it('the kit throws TributaryErrors, not bare Errors', () => {
    const bare = kitFiles.filter((path) => path.endsWith('.ts') && read(path).includes('throw new Error(')).map(where);
    expect(bare).toEqual([]);
  });
});

describe('HTTP error codes', () => {
  const kitCodes = new Set(Object.keys(kitHttpErrors));

  it('no code is made by hand: only a catalogue constructor makes an HttpError', () => {
    const byHand = everyFile.filter((path) => path !== join(KIT, 'http', 'errors.ts') && read(path).includes('new HttpError(')).map(where);
    expect(byHand).toEqual([]);
  });

  it("every code the kit's HTTP layer answers is declared, and every declared one is answered", () => {
    const text = kitFiles.filter((path) => path !== KIT_CATALOGUE).map(read).join('\n');
    const thrown = matches(text, /\bhttpError\('([A-Z0-9_]+)'/g);
    expect(thrown.filter((code) => !kitCodes.has(code))).toEqual([]);
    expect([...kitCodes].filter((code) => !text.includes(`'${code}'`))).toEqual([]);
  });

  it.each(serviceNames)('%s: every code it throws is declared, and every declared one is thrown', async (name) => {
    const catalogue = await serviceCatalogue(name);
    const files = (serviceFiles.get(name) ?? []).filter((path) => !path.endsWith(join('src', 'errors.ts')));
    const text = files.map(read).join('\n');
    if (!catalogue) {
      expect(text, `${name} answers no code of its own`).not.toMatch(/\b(?!TributaryError)\w+Error\('[A-Z][A-Z0-9_]+'/);
      return;
    }
    const own = new Set(Object.keys(catalogue.codes));
    expect([...own].filter((code) => kitCodes.has(code)), 'a kit code declared again').toEqual([]);
    const thrown = matches(text, new RegExp(`\\b${catalogue.constructorName}\\('([A-Z0-9_]+)'`, 'g'));
    expect(thrown.filter((code) => !own.has(code) && !kitCodes.has(code))).toEqual([]);
    // Used as a literal anywhere: a domain rule's result code reaches the constructor as a value (plan.code).
    expect([...own].filter((code) => !text.includes(`'${code}'`))).toEqual([]);
  });

  it("docs/openapi.json lists every code the API can answer: the gateway's, the kit's and those of each service it relays", async () => {
    const document = JSON.parse(read(join(root, 'docs', 'openapi.json'))) as { components: { schemas: { ErrorCode: { enum: string[] } } } };
    const listed = new Set(document.components.schemas.ErrorCode.enum);
    // shelving is lending's upstream: its answers reach lending, never a caller of the gateway.
    const relayed = serviceNames.filter((name) => name !== 'shelving');
    const missing: string[] = [...kitCodes].filter((code) => !listed.has(code));
    for (const name of relayed) {
      const catalogue = await serviceCatalogue(name);
      missing.push(...Object.keys(catalogue?.codes ?? {}).filter((code) => !listed.has(code)).map((code) => `${code} (${name})`));
    }
    expect(missing).toEqual([]);
  });
});
