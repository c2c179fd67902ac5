// Plain JavaScript (with bundle.d.mts beside it): `npm start` bundles the
// launcher with it before anything can run TypeScript.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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

let building = 0;

/**
 * Compiles each entry (name → TypeScript file) into `outDir/<name>.mjs` with
 * a source map. `outDir` must be inside the repository, so the bundles find
 * node_modules where the sources do. Answers the absolute paths of the
 * source files that went in.
 */
export async function bundle(entries, outDir) {
  building++;
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
      plugins: [bundleOnlyWorkspaces, keepSourceLocation],
      metafile: true,
    });
    // esbuild names inputs relative to its working directory, the process's.
    return Object.keys(result.metafile.inputs).map((input) => resolve(input));
  } finally {
    // esbuild's helper process would otherwise stay for the caller's lifetime (30–50 MB);
    // not while another system of this process (tests) is still building.
    if (--building === 0) await stop();
  }
}
