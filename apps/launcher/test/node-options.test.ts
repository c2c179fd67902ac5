import { describe, expect, it } from 'vitest';
import { SERVICE_MALLOC_ENV, serviceMallocEnv, serviceNodeOptions } from '../src/node-options.ts';

describe('malloc settings of the service processes', () => {
  it('gives every service one arena and returns large blocks at free', () => {
    expect(serviceMallocEnv({})).toEqual(SERVICE_MALLOC_ENV);
    expect(SERVICE_MALLOC_ENV.MALLOC_ARENA_MAX).toBe('1');
  });

  it("leaves a setting the operator made alone", () => {
    const env = serviceMallocEnv({ MALLOC_ARENA_MAX: '4' });
    expect(env.MALLOC_ARENA_MAX).toBeUndefined();
    expect(env.MALLOC_MMAP_THRESHOLD_).toBe(SERVICE_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
  });
});

describe('Node flags of the service processes', () => {
  const built = { stackTraces: '/bundles/stack-traces.mjs' } as Parameters<typeof serviceNodeOptions>[0];
  it('keeps young generations small, but the gateway\'s, which takes every request', () => {
    expect(serviceNodeOptions(built, 'ordering')).toContain('--max-semi-space-size=2');
    expect(serviceNodeOptions(built)).toContain('--max-semi-space-size=2');
    expect(serviceNodeOptions(built, 'gateway')).toContain('--max-semi-space-size=16');
  });

  it('lets an old generation grow by half its live size before the next full collection, not up to four times', () => {
    for (const service of ['ordering', 'gateway', undefined]) expect(serviceNodeOptions(built, service)).toContain('--heap-growing-percent=50');
  });
});
