import { join } from 'node:path';
import { bundle } from './bundle.mjs';
import { SERVICES, type ServiceName } from './services.ts';

export interface BuiltServices {
  entries: Record<ServiceName, string>;
  /** To load first (`--import`): stack traces through the bundles' source maps. */
  stackTraces: string;
  /** The service host process (service-host.ts) and the first module of each of its threads. */
  serviceHost: string;
  serviceThread: string;
}

/**
 * Compiles every service once into an entry file per service and shared
 * chunks, dependencies included (with source maps), under `outDir`. A
 * service then loads plain JavaScript: no tsx loader, no esbuild helper
 * process per service, no per-module compilation or resolution, and a good
 * part less memory per process (docs/benchmarks.md, Memory and Start-up).
 */
export async function buildServices(rootDir: string, outDir: string): Promise<BuiltServices> {
  await bundle(
    {
      ...Object.fromEntries(SERVICES.map((name) => [name, join(rootDir, 'services', name, 'src', 'main.ts')])),
      'stack-traces': join(rootDir, 'apps', 'launcher', 'src', 'stack-traces.ts'),
      'service-host': join(rootDir, 'apps', 'launcher', 'src', 'service-host.ts'),
      'service-thread': join(rootDir, 'apps', 'launcher', 'src', 'service-thread.ts'),
    },
    outDir,
    { dependencies: 'bundle' },
  );
  return {
    entries: Object.fromEntries(SERVICES.map((name) => [name, join(outDir, `${name}.mjs`)])) as Record<ServiceName, string>,
    stackTraces: join(outDir, 'stack-traces.mjs'),
    serviceHost: join(outDir, 'service-host.mjs'),
    serviceThread: join(outDir, 'service-thread.mjs'),
  };
}
