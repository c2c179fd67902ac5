import { describe, expect, it } from 'vitest';
import { useRedis } from '../streams/test-fixtures/harness.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createServiceShell, type ServicePart } from './shell.ts';

const redis = useRedis();

function recorded(log: string[], name: string, options: { failStart?: boolean } = {}): ServicePart {
  return {
    start() {
      if (options.failStart) throw new Error(`${name} cannot start`);
      log.push(`start ${name}`);
    },
    close() {
      log.push(`close ${name}`);
    },
  };
}

const shellOf = () =>
  createServiceShell({ service: 'shell-test', bus: redis.redis, store: redis.redis, logger: createLogger('shell-test', 'silent'), instance: 'shell-test-0' });

describe('createServiceShell', () => {
  it('starts the parts in the order given and closes them the other way round, once', async () => {
    const log: string[] = [];
    const shell = shellOf();
    const started = await shell.start([recorded(log, 'cache'), 'http', 'consumers', undefined, recorded(log, 'sweep')]);
    expect((await started.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await Promise.all([started.close(), started.close()]);
    expect(log).toEqual(['start cache', 'start sweep', 'close sweep', 'close cache']);
  });

  it('closes what started, latest first, when a part cannot start, and starts nothing after it', async () => {
    const log: string[] = [];
    const shell = shellOf();
    await expect(shell.start(['http', recorded(log, 'first'), recorded(log, 'second'), recorded(log, 'broken', { failStart: true }), recorded(log, 'never')])).rejects.toThrow(
      'broken cannot start',
    );
    expect(log).toEqual(['start first', 'start second', 'close second', 'close first']);
  });
});
