import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEntries } from '../streams/commands.ts';
import type { LogEntry } from './operations.ts';
import type { Region } from './region.ts';
import { createReplicator } from './replicator.ts';
import { snapshot, syncAll, useRegionServers } from './test-fixtures/regions.ts';

/**
 * Convergence against a model: random operations on random regions of 2 to 4,
 * random partial deliveries, redeliveries and syncs in between (a partition
 * is simply a pair that is not synced for a while). After a full sync every
 * region reads the same, and that is what the CRDT specification says.
 */
const env = useRegionServers(4);

const KEYS = { counters: ['c0', 'c1'], sets: ['s0', 's1'], registers: ['g0'], hashes: ['h0'], boards: ['z0'] };
const member = fc.constantFrom('m0', 'm1', 'm2');
const delta = fc.integer({ min: -5, max: 5 }).filter((n) => n !== 0);
const region = fc.nat(3);

type Step =
  | { kind: 'incr'; region: number; key: string; by: number }
  | { kind: 'zincr'; region: number; member: string; by: number }
  | { kind: 'sadd' | 'srem'; region: number; key: string; member: string }
  | { kind: 'set'; region: number; value: string }
  | { kind: 'hset'; region: number; field: string; value: string }
  | { kind: 'deliver'; from: number; to: number; count: number }
  | { kind: 'redeliver'; from: number; to: number }
  | { kind: 'sync'; from: number; to: number; batchSize: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('incr' as const), region, key: fc.constantFrom(...KEYS.counters), by: delta }),
  fc.record({ kind: fc.constant('zincr' as const), region, member, by: delta }),
  // Weighted up: removes racing adds through a third region need many set operations to turn up.
  { arbitrary: fc.record({ kind: fc.constantFrom('sadd' as const, 'srem' as const), region, key: fc.constantFrom(...KEYS.sets), member: fc.constantFrom('m0', 'm1') }), weight: 4 },
  fc.record({ kind: fc.constant('set' as const), region, value: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant('hset' as const), region, field: fc.constantFrom('f0', 'f1'), value: fc.string({ maxLength: 3 }) }),
  { arbitrary: fc.record({ kind: fc.constant('deliver' as const), from: region, to: region, count: fc.integer({ min: 1, max: 4 }) }), weight: 3 },
  fc.record({ kind: fc.constant('redeliver' as const), from: region, to: region }),
  fc.record({ kind: fc.constant('sync' as const), from: region, to: region, batchSize: fc.integer({ min: 1, max: 4 }) }),
);

/** A logged operation as the model knows it. */
type ModelOp =
  | { kind: 'incr'; key: string; by: number }
  | { kind: 'zincr'; member: string; by: number }
  | { kind: 'sadd'; key: string; member: string; id: string }
  | { kind: 'srem'; key: string; member: string; removes: Set<string> }
  | { kind: 'lww'; field: string; value: string; stamp: string };

function stampAfter(a: string, b: string): boolean {
  const [al, ac, ar] = a.split(':') as [string, string, string];
  const [bl, bc, br] = b.split(':') as [string, string, string];
  if (Number(al) !== Number(bl)) return Number(al) > Number(bl);
  if (Number(ac) !== Number(bc)) return Number(ac) > Number(bc);
  return ar > br;
}

class Model {
  readonly logs: ModelOp[][];
  /** applied[target][source]: how much of source's log target has applied. */
  readonly applied: number[][];
  constructor(readonly n: number) {
    this.logs = Array.from({ length: n }, () => []);
    this.applied = Array.from({ length: n }, () => Array.from({ length: n }, () => 0));
  }
  /** Every op region r has applied: its own, and the applied prefix of each other log. */
  view(r: number): ModelOp[] {
    return this.logs.flatMap((log, source) => (source === r ? log : log.slice(0, this.applied[r]?.[source])));
  }
  /** The add ids of `member` that region r sees and has not seen removed. */
  liveAdds(r: number, key: string, member: string): Set<string> {
    const view = this.view(r);
    const removed = new Set(view.flatMap((op) => (op.kind === 'srem' && op.key === key ? [...op.removes] : [])));
    return new Set(view.flatMap((op) => (op.kind === 'sadd' && op.key === key && op.member === member && !removed.has(op.id) ? [op.id] : [])));
  }
  converged() {
    const all = this.logs.flat();
    const sum = (ops: ModelOp[]) => ops.reduce((total, op) => total + ('by' in op ? op.by : 0), 0);
    const removed = new Set(all.flatMap((op) => (op.kind === 'srem' ? [...op.removes] : [])));
    const winner = (field: string) =>
      all.filter((op): op is Extract<ModelOp, { kind: 'lww' }> => op.kind === 'lww' && op.field === field).reduce<Extract<ModelOp, { kind: 'lww' }> | null>((best, op) => (best === null || stampAfter(op.stamp, best.stamp) ? op : best), null);
    const board = [...new Set(all.flatMap((op) => (op.kind === 'zincr' ? [op.member] : [])))]
      .map((m) => ({ member: m, score: sum(all.filter((op) => op.kind === 'zincr' && op.member === m)) }))
      .sort((a, b) => b.score - a.score || (a.member < b.member ? 1 : -1));
    const fields: Record<string, string> = {};
    for (const field of ['f0', 'f1']) {
      const op = winner(field);
      if (op) fields[field] = op.value;
    }
    return {
      counters: KEYS.counters.map((key) => sum(all.filter((op) => op.kind === 'incr' && op.key === key))),
      sets: KEYS.sets.map((key) => [...new Set(all.flatMap((op) => (op.kind === 'sadd' && op.key === key && !removed.has(op.id) ? [op.member] : [])))].sort()),
      registers: [winner('')?.value ?? null],
      hashes: [fields],
      boards: [board],
    };
  }
}

async function entriesAfter(region: Region, after: string, count: number): Promise<LogEntry[]> {
  if (count === 0) return [];
  return parseEntries(await region.redis.sendCommand(['XRANGE', region.keys.log, `(${after}`, '+', 'COUNT', String(count)]));
}

async function play(regions: Region[], model: Model, s: Step): Promise<void> {
  const n = regions.length;
  if (s.kind === 'deliver' || s.kind === 'redeliver' || s.kind === 'sync') {
    const from = s.from % n;
    const to = s.to % n;
    if (from === to) return;
    const source = regions[from] as Region;
    const target = regions[to] as Region;
    const cursor = (await target.redis.get(target.keys.cursor(source.id))) ?? '0-0';
    const row = model.applied[to] as number[];
    if (s.kind === 'sync') {
      await createReplicator({ source: { region: source.id, redis: source.redis }, target, batchSize: s.batchSize }).syncOnce();
      row[from] = model.logs[from]?.length ?? 0;
    } else if (s.kind === 'deliver') {
      let previous = cursor;
      for (const entry of await entriesAfter(source, cursor, s.count)) {
        expect(await target.applyRemote(source.id, previous, entry)).toBe('applied');
        previous = entry.id;
        row[from] = (row[from] ?? 0) + 1;
      }
    } else {
      // The last entry applied again, and the one after next before the next: neither may change anything.
      const [applied] = (await entriesAfter(source, '0-0', row[from] ?? 0)).slice(-1);
      if (applied) expect(await target.applyRemote(source.id, '0-0', applied)).toBe('duplicate');
      const [next, afterNext] = await entriesAfter(source, cursor, 2);
      if (next && afterNext) expect(await target.applyRemote(source.id, next.id, afterNext)).toBe('gap');
    }
    return;
  }
  const r = s.region % n;
  const here = regions[r] as Region;
  const log = model.logs[r] as ModelOp[];
  switch (s.kind) {
    case 'incr':
      await here.incrBy(s.key, s.by);
      log.push({ kind: 'incr', key: s.key, by: s.by });
      break;
    case 'zincr':
      await here.incrMember('z0', s.member, s.by);
      log.push({ kind: 'zincr', member: s.member, by: s.by });
      break;
    case 'sadd':
      await here.addToSet(s.key, s.member);
      log.push({ kind: 'sadd', key: s.key, member: s.member, id: `${r}:${log.length}` });
      break;
    case 'srem': {
      const live = model.liveAdds(r, s.key, s.member);
      expect(await here.removeFromSet(s.key, s.member)).toBe(live.size > 0 ? 'removed' : 'ignored');
      if (live.size > 0) log.push({ kind: 'srem', key: s.key, member: s.member, removes: live });
      break;
    }
    case 'set':
    case 'hset': {
      const field = s.kind === 'set' ? '' : s.field;
      const stamp = s.kind === 'set' ? await here.setRegister('g0', s.value) : await here.setField('h0', s.field, s.value);
      // Causality: a write is stamped after every write its region has seen.
      for (const op of model.view(r)) if (op.kind === 'lww') expect(stampAfter(stamp, op.stamp)).toBe(true);
      log.push({ kind: 'lww', field, value: s.value, stamp });
      break;
    }
  }
}

describe('active/active convergence', () => {
  it('every region ends equal to the others and to the model, whatever the order of delivery', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.array(step, { maxLength: 80, size: 'max' }), async (n, steps) => {
        const regions = env.regions(n);
        const model = new Model(n);
        for (const s of steps) await play(regions, model, s);
        await syncAll(regions);
        const expected = model.converged();
        for (const [i, here] of regions.entries()) {
          expect(await snapshot(here, KEYS)).toEqual(expected);
          expect(await here.redis.xLen(here.keys.log)).toBe(model.logs[i]?.length);
          for (const key of KEYS.sets) expect(await here.redis.exists(here.keys.tombstones(key))).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
  });
});
