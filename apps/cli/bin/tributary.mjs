#!/usr/bin/env node
// The `tributary` command. The CLI is TypeScript without a build step to
// forget: it runs from an esbuild bundle that is made again whenever one of
// its sources changed (apps/launcher/src/cached-bundle.mjs), in this process,
// so there is no second process to forward signals to. A bundle starts in a
// third of the CPU time tsx's loader takes for the same modules.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cachedBundle } from '../../launcher/src/cached-bundle.mjs';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = await cachedBundle(
  {
    cli: join(root, 'apps', 'cli', 'src', 'main.ts'),
    // Stack traces name the TypeScript sources, as under tsx.
    'stack-traces': join(root, 'apps', 'launcher', 'src', 'stack-traces.ts'),
  },
  join(root, 'node_modules', '.cache', 'tributary-cli'),
  // Dependencies in the bundle too: one file to compile instead of some 1 200 modules to load.
  { dependencies: 'bundle' },
);
await import(pathToFileURL(join(dir, 'stack-traces.mjs')).href);
await import(pathToFileURL(join(dir, 'cli.mjs')).href);
