import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * The service's one in-process DuckDB. It holds no tables of its own (the
 * lake is the Parquet files), so it lives in memory; each piece of work gets
 * its own connection, which keeps temporary staging tables private to it.
 */
export interface Duck {
  use<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Waits for work in flight, then frees the instance. */
  close(): Promise<void>;
}

export async function openDuck(options: Record<string, string> = {}): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:', options);
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;
  return {
    async use(work) {
      if (closed) throw new Error('DuckDB is closed');
      const connection = await instance.connect();
      const running = work(connection).finally(() => connection.closeSync());
      inFlight.add(running);
      try {
        return await running;
      } finally {
        inFlight.delete(running);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...inFlight]);
      instance.closeSync();
    },
  };
}
