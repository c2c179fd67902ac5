import type { Logger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import { periodicJob } from 'tributary/telemetry';
import type { Registry } from 'prom-client';
import { deleteArchivable } from './store/archive.ts';

const MS_PER_DAY = 86_400_000;

export interface ArchiveRequest {
  /** Default: the configured retention (DELIVERY_ARCHIVE_DAYS). */
  olderThanDays?: number;
  /** Default: the current time. */
  now?: Date;
}

export interface ArchiveResult {
  archived: number;
  /** Records that finished before this instant were eligible. */
  cutoff: string;
}

export interface Archiver {
  archive(request?: ArchiveRequest): Promise<ArchiveResult>;
  /** Runs the archiver every `intervalMs`, the first time after `firstDelayMs`. */
  start(schedule: { intervalMs: number; firstDelayMs: number }): void;
  close(): Promise<void>;
}

/**
 * The guide's "occasional batch process": moves old records out of the
 * lookup store once the lake holds them. It never touches the lake, so it
 * can run anywhere and as often as anyone likes: a second run finds nothing.
 */
export function createArchiver(options: { db: SqlDatabase; olderThanDays: number; logger?: Logger; registry?: Registry }): Archiver {
  const meter = periodicJob('history-archiver', options.registry ? { registry: options.registry } : {});
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function archive(request: ArchiveRequest = {}): Promise<ArchiveResult> {
    const days = request.olderThanDays ?? options.olderThanDays;
    if (!Number.isSafeInteger(days) || days < 0) throw new RangeError(`olderThanDays must be an integer >= 0 (got ${days})`);
    const cutoff = new Date((request.now ?? new Date()).getTime() - days * MS_PER_DAY).toISOString();
    const archived = await deleteArchivable(options.db, cutoff);
    return { archived, cutoff };
  }

  return {
    archive,
    start({ intervalMs, firstDelayMs }) {
      if (timer || closed) return;
      const tick = (delay: number) => {
        timer = setTimeout(() => {
          running = meter.run(async (run) => {
            const result = await archive();
            run.items(result.archived);
            return result;
          }).then(
            (result) => options.logger?.info(result, 'archived old deliveries from the lookup store'),
            (error: unknown) => options.logger?.warn({ err: error }, 'archiving failed, will try at the next interval'),
          );
          void running.then(() => {
            if (!closed) tick(intervalMs);
          });
        }, delay);
      };
      tick(firstDelayMs);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
