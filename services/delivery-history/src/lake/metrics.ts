import { Counter, Gauge, type Registry } from 'prom-client';
import type { SqlExecutor } from 'tributary/sql';
import { waitingForLake } from '../store/lake-batches.ts';

/**
 * What an operator watches of the lake: rows and batches written (a redone
 * batch counts under resumed="true"), files, and how many finished records
 * still wait in the lookup store (read at scrape time; a growing number
 * means the writer is failing or falling behind).
 */
export function lakeMetrics(registry: Registry, db: SqlExecutor) {
  const records = new Counter({ name: 'delivery_history_lake_records_written_total', help: 'Records written to the Parquet lake', registers: [registry] });
  const batches = new Counter({ name: 'delivery_history_lake_batches_written_total', help: 'Lake batches written', labelNames: ['resumed'], registers: [registry] });
  const files = new Counter({ name: 'delivery_history_lake_files_written_total', help: 'Parquet files written (one per finish day and batch)', registers: [registry] });
  new Gauge({
    name: 'delivery_history_lake_waiting_records',
    help: 'Finished records not yet given to a lake batch',
    registers: [registry],
    async collect() {
      this.set(await waitingForLake(db));
    },
  });
  return (batch: { records: number; files: number; resumed: boolean }) => {
    records.inc(batch.records);
    files.inc(batch.files);
    batches.inc({ resumed: String(batch.resumed) });
  };
}
