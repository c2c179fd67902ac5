import { join, resolve } from 'node:path';
import { buildServices } from '../../apps/launcher/src/build.ts';

/**
 * The image's build step: every service bundled once, exactly as `npm start`
 * bundles them (apps/launcher/src/build.ts), into dist/services/. The
 * runtime stage then runs plain JavaScript with production dependencies
 * only: no tsx, no esbuild, no compilation at start (docs/benchmarks.md,
 * Memory: about half the RSS of a service under tsx).
 */
const root = resolve(import.meta.dirname, '..', '..');
const outDir = process.argv[2] ? resolve(process.argv[2]) : join(root, 'dist', 'services');
await buildServices(root, outDir);
console.log(`services bundled into ${outDir}`);
