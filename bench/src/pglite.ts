import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteStatements } from 'tributary/sql';
import { printTable } from './table.ts';

/**
 * `npm run bench -- pglite`: one handler-shaped transaction (mark two event
 * ids handled, upsert a row, lock it, update it: the statements a batched SQL
 * handler runs) on PGlite's own `transaction`/`query` and on the kit's
 * prepared statements (`pgliteStatements`), on one database kept on disk as
 * the services keep theirs. Alternating rounds, best of three.
 */
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 2_000);

type Query = (text: string, params: unknown[]) => Promise<unknown>;
type Transaction = (work: (query: Query) => Promise<void>) => Promise<void>;

async function handlerShaped(label: string, round: number, transaction: Transaction): Promise<{ msPerTransaction: number; cpuMsPerTransaction: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < TRANSACTIONS; i++) {
    const id = `${label}-${round}-${i}`;
    await transaction(async (query) => {
      await query(
        `INSERT INTO handled (consumer_group, event_id) SELECT DISTINCT $1::text, ids.id FROM jsonb_array_elements_text($2::jsonb) AS ids(id) ON CONFLICT DO NOTHING RETURNING event_id`,
        ['bench', JSON.stringify([id, `${id}-b`])],
      );
      await query('INSERT INTO orders (id, status, total_cents) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status', [id, 'NEW', i]);
      await query('SELECT id, status, total_cents, updated_at FROM orders WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [[id]]);
      await query('UPDATE orders SET status = $2, updated_at = now() WHERE id = $1', [id, 'DONE']);
    });
  }
  const used = process.cpuUsage(cpu);
  return { msPerTransaction: (performance.now() - started) / TRANSACTIONS, cpuMsPerTransaction: (used.user + used.system) / 1000 / TRANSACTIONS };
}

export async function benchPglite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-pglite-'));
  const db = await PGlite.create({ dataDir: join(dir, 'db') });
  try {
    await db.exec(`
      CREATE TABLE handled (consumer_group text, event_id text, handled_at timestamptz DEFAULT now(), PRIMARY KEY (consumer_group, event_id));
      CREATE TABLE orders (id text PRIMARY KEY, status text NOT NULL, total_cents int NOT NULL, updated_at timestamptz DEFAULT now());
    `);
    const statements = pgliteStatements(db);
    const ways: Record<string, Transaction> = {
      "PGlite's transaction and query": (work) => db.transaction(async (tx) => work((text, params) => tx.query(text, params))).then(() => undefined),
      "the kit's prepared statements": (work) => statements.transaction(async (query) => work((text, params) => query(text, params))),
    };
    const best = new Map<string, { msPerTransaction: number; cpuMsPerTransaction: number }>();
    for (let round = 0; round < 4; round++) {
      for (const [label, transaction] of Object.entries(ways)) {
        const result = await handlerShaped(label, round, transaction);
        // Round 0 warms both up (JIT, buffers) and is not counted.
        if (round === 0) continue;
        const known = best.get(label);
        if (!known || result.cpuMsPerTransaction < known.cpuMsPerTransaction) best.set(label, result);
      }
    }
    const base = best.get("PGlite's transaction and query")!.cpuMsPerTransaction;
    printTable(
      `PGlite: a handler-shaped transaction (4 statements), ${TRANSACTIONS} per round, best of 3`,
      ['how', 'ms per transaction', 'CPU ms per transaction', 'CPU against PGlite\'s own'],
      [...best].map(([label, r]) => [label, r.msPerTransaction.toFixed(3), r.cpuMsPerTransaction.toFixed(3), (r.cpuMsPerTransaction / base).toFixed(2)]),
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
