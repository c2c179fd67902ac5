// Plain JavaScript (with bundle.d.mts beside it): `npm start` bundles the
// launcher with it before anything can run TypeScript.
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
// esbuild comes with tsx, which every script of the repository runs under.
import { build, stop } from 'esbuild';

/**
 * Workspace packages (the kit, the contracts) are TypeScript and go into each
 * bundle; everything else in node_modules is plain JavaScript that Node loads
 * as before, from the same place.
 */
const bundleOnlyWorkspaces = {
  name: 'bundle-only-workspaces',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (/^(tributary(\/|$)|@tributary\/)/.test(args.path)) return undefined;
      // Not imported for side effects (none of our sources does): an import whose bindings go unused is dropped,
      // so a process does not load, say, PGlite or the OTLP exporter because the kit's index names them.
      return { path: args.path, external: true, sideEffects: false };
    });
  },
};

/**
 * Sources find their Lua scripts, package.json and the dashboard's files
 * relative to themselves (`import.meta.url`, `import.meta.dirname`). Inside
 * one bundle those would all name the bundle, so each source keeps its own.
 */
const keepSourceLocation = {
  name: 'keep-source-location',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const contents = text
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      return { contents, loader: 'ts' };
    });
  },
};

/**
 * Dependencies that find files next to their own code: WebAssembly and its
 * data (PGlite), native addons (DuckDB), static assets and their own
 * package.json (the Swagger UI), worker scripts (pino's transports),
 * executable subcommands (commander, the CLI's parser). Inside
 * a bundle their `__dirname` or `import.meta.url` would name the bundle, so
 * they stay in node_modules and load from there.
 */
const LOCATE_THEIR_OWN_FILES = ['@electric-sql/pglite', '@duckdb/', 'pg-native', '@fastify/swagger', '@fastify/swagger-ui', 'pino', 'thread-stream', 'commander'];

const locatesItsOwnFiles = (specifier) =>
  LOCATE_THEIR_OWN_FILES.some((name) => (name.endsWith('/') ? specifier.startsWith(name) : specifier === name || specifier.startsWith(`${name}/`)));

/**
 * Every other dependency goes into the bundle too. A service thread then
 * compiles one file instead of loading some 1 200 CommonJS modules one by one
 * (node-redis alone is 480): a service process got to its first log line in
 * about 0.4 s instead of 0.7, and a whole `npm start` was ready about 2 s
 * sooner with some 50 MB less heap (docs/benchmarks.md, "Start-up").
 */
const bundleDependencies = {
  name: 'bundle-dependencies',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => (locatesItsOwnFiles(args.path) ? { path: args.path, external: true, sideEffects: false } : undefined));
  },
};

/**
 * CommonJS inside an ES module bundle: esbuild's `require` of a Node built-in
 * or of an external package needs a real `require`, made here for the bundle's
 * own location (node_modules/.cache/…), from which node_modules resolves as
 * from the sources. `__dirname` and `__filename` are left undefined on
 * purpose: a dependency that uses them fails the build (selfLocating) rather
 * than reading the wrong directory at run time.
 */
const REQUIRE_BANNER = "import { createRequire as __tributaryCreateRequire } from 'node:module'; const require = __tributaryCreateRequire(import.meta.url);";

/** Bundled dependencies that name their own location: each must be added to LOCATE_THEIR_OWN_FILES. */
async function selfLocating(inputs) {
  const found = [];
  for (const input of inputs) {
    const path = resolve(input);
    if (!path.split(sep).includes('node_modules') || !/\.[cm]?js$/.test(path)) continue;
    const text = await readFile(path, 'utf8');
    if (/\b__(dirname|filename)\b|\bimport\.meta\.(url|dirname|filename)\b/.test(text)) found.push(relative(process.cwd(), path));
  }
  return found;
}

let building = 0;

/**
 * Compiles each entry (name → TypeScript file) into `outDir/<name>.mjs` with
 * a source map. `outDir` must be inside the repository, so the bundles find
 * node_modules where the sources do. With `dependencies: 'bundle'` the
 * dependencies go in too, but for those that locate their own files.
 * Answers the absolute paths of the source files that went in.
 */
export async function bundle(entries, outDir, { dependencies = 'external' } = {}) {
  building++;
  const inline = dependencies === 'bundle';
  try {
    const result = await build({
      entryPoints: entries,
      outdir: outDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'warning',
      plugins: [inline ? bundleDependencies : bundleOnlyWorkspaces, keepSourceLocation],
      // Code splitting: what services share (the kit, the dependencies) is one chunk, built once, not sixteen times
      // (2 s for every service instead of 5). Minified but for names: a smaller source string in every thread.
      ...(inline ? { banner: { js: REQUIRE_BANNER }, splitting: true, chunkNames: 'chunks/[name]-[hash]', minifyWhitespace: true, minifySyntax: true } : {}),
      metafile: true,
    });
    if (inline) {
      const offending = await selfLocating(Object.keys(result.metafile.inputs));
      if (offending.length > 0) throw new Error(`bundle: these dependencies name their own location and must stay external (LOCATE_THEIR_OWN_FILES in bundle.mjs): ${offending.join(', ')}`);
    }
    // esbuild names inputs relative to its working directory, the process's.
    return Object.keys(result.metafile.inputs).map((input) => resolve(input));
  } finally {
    // esbuild's helper process would otherwise stay for the caller's lifetime (30–50 MB);
    // not while another system of this process (tests) is still building.
    if (--building === 0) await stop();
  }
}
