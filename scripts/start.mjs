// `npm start`: install what is missing, then run the launcher in this process.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureDashboard, ensureDependencies, ensureRedis, root } from './ensure.mjs';

ensureDependencies();
ensureRedis();
// The gateway serves the dashboard at `/`: build it when a source is newer than the build.
ensureDashboard();
// The launcher compiled to JavaScript and run here: no second Node process,
// no tsx loader and esbuild helper kept alive beside it (docs/benchmarks.md, Memory).
// Imported only now: esbuild exists once ensureDependencies has run.
const { bundle } = await import('../apps/launcher/src/bundle.mjs');
const launcher = join(root, 'apps', 'launcher', 'src');
const outDir = join(root, 'node_modules', '.cache', 'tributary-launcher');
await bundle({ launcher: join(launcher, 'main.ts'), 'stack-traces': join(launcher, 'stack-traces.ts') }, outDir);
await import(pathToFileURL(join(outDir, 'stack-traces.mjs')).href);
await import(pathToFileURL(join(outDir, 'launcher.mjs')).href);
