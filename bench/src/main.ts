import { benchActiveActive } from './activeactive.ts';
import { benchBacklog } from './backlog.ts';
import { benchBus } from './bus.ts';
import { benchCache } from './cache.ts';
import { benchCommandTimeout } from './command-timeout.ts';
import { benchLakeWrites } from './lake.ts';
import { benchPglite } from './pglite.ts';
import { benchSoak } from './soak.ts';
import { benchSystem } from './system.ts';
import { benchTelemetryIngest } from './telemetry.ts';
import { benchTracing } from './tracing.ts';

async function benchTelemetry(): Promise<void> {
  await benchTelemetryIngest();
  await benchLakeWrites();
}

const benches: Record<string, () => Promise<void>> = { activeactive: benchActiveActive, backlog: benchBacklog, bus: benchBus, cache: benchCache, pglite: benchPglite, telemetry: benchTelemetry, system: benchSystem, soak: benchSoak, 'command-timeout': benchCommandTimeout, tracing: benchTracing };
const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in benches));
if (unknown.length > 0 || names.length === 0) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exit(unknown.length > 0 ? 2 : 0);
}
for (const name of names) await (benches[name] as () => Promise<void>)();
