import { connectRedis, type RedisClient } from 'tributary';
import { createRegion, createReplicator, type Region } from 'tributary/activeactive';
import { startRedisServer, type RedisServer } from 'tributary/testing';

/**
 * The book's Tables 4-1 and 4-2 (chapter 4), played on two private
 * redis-servers, one per region. "Disconnected" means only that no
 * replicator runs; "Sync" runs both directions to the end of the other's log.
 */
export interface TwoRegions {
  a: Region;
  b: Region;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export async function startTwoRegions(prefix = 'book'): Promise<TwoRegions> {
  const servers: RedisServer[] = [];
  const clients: RedisClient[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const server = await startRedisServer();
      servers.push(server);
      clients.push(await connectRedis(server.url, { failFast: true }));
    }
  } catch (error) {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
  const [redisA, redisB] = clients as [RedisClient, RedisClient];
  const a = createRegion({ redis: redisA, region: 'a', prefix });
  const b = createRegion({ redis: redisB, region: 'b', prefix });
  const aToB = createReplicator({ source: { region: 'a', redis: redisA }, target: b });
  const bToA = createReplicator({ source: { region: 'b', redis: redisB }, target: a });
  return {
    a,
    b,
    async sync() {
      await aToB.syncOnce();
      await bToA.syncOnce();
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}

export interface CounterRow {
  step: number;
  operation: string;
  /** Which region the step ran on; `both` for the initial value and the sync. */
  on: 'a' | 'b' | 'both';
  /** The value each region's GET returns after the step. */
  a: number;
  b: number;
}

/** Table 4-1, "Resolving Counter Conflicts": INCR/INCRBY/DECR on both sides of a partition, then a sync. */
export async function playTable41(regions: TwoRegions): Promise<CounterRow[]> {
  const { a, b } = regions;
  const rows: CounterRow[] = [];
  const record = async (operation: string, on: CounterRow['on']) => {
    rows.push({ step: rows.length, operation, on, a: await a.counter('foo'), b: await b.counter('foo') });
  };
  await record('Initial Sync Value', 'both');
  await a.incrBy('foo', 1);
  await record('INCR foo', 'a');
  await a.incrBy('foo', 2);
  await record('INCRBY foo 2', 'a');
  await a.incrBy('foo', -1);
  await record('DECR foo', 'a');
  await b.incrBy('foo', 10);
  await record('INCRBY foo 10', 'b');
  await b.incrBy('foo', 13);
  await record('INCRBY foo 13', 'b');
  await regions.sync();
  await record('Sync', 'both');
  return rows;
}

/** What one region did in a step of Table 4-2. */
export type SetCell =
  | { command: 'SMEMBERS'; members: string[] }
  | { command: 'SADD' | 'SREM'; member: string; outcome: 'added' | 'removed' | 'ignored' | 'duplicate' }
  | { command: 'Sync' }
  | null;

export interface SetRow {
  step: number;
  a: SetCell;
  b: SetCell;
  /** SMEMBERS of each region after the step, whether or not the table shows it. */
  members: { a: string[]; b: string[] };
}

/** Table 4-2, "Resolving Set Conflicts": add wins, and a remove removes only what its region has observed. */
export async function playTable42(regions: TwoRegions): Promise<SetRow[]> {
  const rows: SetRow[] = [];
  const both = { a: regions.a, b: regions.b };
  const members = async (region: Region): Promise<SetCell> => ({ command: 'SMEMBERS', members: await region.members('group') });
  const add = async (region: Region, member: string): Promise<SetCell> => {
    const cell: SetCell = { command: 'SADD', member, outcome: await region.addToSet('group', member) };
    // SMEMBERS lists members by the millisecond of their first add (then by
    // name), taken from each region's log. The book's rows happen one after
    // another; two adds in the same millisecond on a fast machine would list
    // [jorma, paul] where the table shows [paul, jorma].
    await new Promise((resolve) => setTimeout(resolve, 2));
    return cell;
  };
  const remove = async (region: Region, member: string): Promise<SetCell> => ({
    command: 'SREM',
    member,
    outcome: await region.removeFromSet('group', member),
  });
  const sync = async (): Promise<SetCell> => {
    await regions.sync();
    return { command: 'Sync' };
  };
  const step = async (cells: () => Promise<[SetCell, SetCell]>) => {
    const [a, b] = await cells();
    rows.push({ step: rows.length, a, b, members: { a: await both.a.members('group'), b: await both.b.members('group') } });
  };
  const { a, b } = both;
  await step(async () => [await members(a), await members(b)]);
  await step(async () => [await add(a, 'paul'), null]);
  await step(async () => [null, await add(b, 'jorma')]);
  await step(async () => [await members(a), await members(b)]);
  await step(async () => [await sync(), null]);
  await step(async () => [await members(a), await members(b)]);
  await step(async () => [await remove(a, 'paul'), await add(b, 'grace')]);
  await step(async () => [await remove(a, 'grace'), null]);
  await step(async () => [await sync(), null]);
  await step(async () => [await members(a), await members(b)]);
  return rows;
}

/** A cell as the book prints it: the command, and SMEMBERS's answer after it. */
export function setCellText(cell: SetCell): string {
  if (cell === null) return '';
  if (cell.command === 'Sync') return 'Sync';
  if (cell.command === 'SMEMBERS') return `> SMEMBERS group [${cell.members.join(', ')}]`;
  return `> ${cell.command} group ${cell.member}`;
}

/**
 * A counter cell as the book prints it: the value where the step ran, and
 * "Disconnected" on the other side (with the value it still has).
 */
export function counterCellText(row: CounterRow, region: 'a' | 'b', previous: CounterRow | undefined): string {
  const value = row[region];
  if (row.on === 'both') return row.step === 0 ? `Not set (${value})` : String(value);
  if (row.on === region) return String(value);
  return previous?.on === row.on ? `(${value})` : `Disconnected (${value})`;
}
