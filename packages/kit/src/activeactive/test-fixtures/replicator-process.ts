// A replicator on its own, for the crash test: replicates SOURCE_URL's region
// into TARGET_URL's and prints one line per applied batch, until killed.
import { connectRedis } from '../../redis/client.ts';
import { createRegion } from '../region.ts';
import { createReplicator } from '../replicator.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const source = await connectRedis(env('SOURCE_URL'));
const target = createRegion({ redis: await connectRedis(env('TARGET_URL')), region: env('TARGET_REGION'), prefix: env('PREFIX') });
const replicator = createReplicator({
  source: { region: env('SOURCE_REGION'), redis: source },
  target,
  batchSize: Number(env('BATCH_SIZE')),
  blockMs: 100,
  onApplied: ({ applied, lastId }) => process.stdout.write(`applied ${applied} up to ${lastId}\n`),
  onError: (error) => process.stderr.write(`${String(error)}\n`),
});
replicator.start();
