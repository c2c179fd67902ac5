import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { createConsumer } from '../streams/consumer.ts';
import { defineEvent } from '../streams/events.ts';
import { createPublisher } from '../streams/publisher.ts';
import { parseEntries } from '../streams/commands.ts';
import { uniqueService, useRedis } from '../streams/test-fixtures/harness.ts';
import { waitFor } from '../testing/wait-for.ts';
import { traceparentSampled } from './sampling.ts';
import { activeTraceparent, DEFAULT_SAMPLE_RATIO, initTracing, parseSampleRatio, withSpan } from './tracing.ts';

// Tracing is process-wide; Vitest gives each test file its own worker. Ratio
// 0: no trace that starts here is recorded, only those a caller sampled.
const tracing = initTracing({ service: 'sampling-test', sampleRatio: 0 });
const t = useRedis();

describe('head sampling', () => {
  it('records no span of a trace that starts here unsampled, and says so downstream', async () => {
    let inside: string | undefined;
    await withSpan('root work', {}, async () => {
      inside = activeTraceparent();
    });
    expect(tracing.ring.recent(100).map((span) => span.name)).not.toContain('root work');
    expect(inside).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it('follows the sampled flag an event carries: no handler span when off, the trace and flag carried on; a span when on', async () => {
    const service = uniqueService('sampled');
    const Asked = defineEvent({ source: service, type: 'Asked', schema: Type.Object({ n: Type.Integer() }) });
    const Answered = defineEvent({ source: service, type: 'Answered', schema: Type.Object({ n: Type.Integer() }) });
    const publisher = createPublisher({ redis: t.redis, service });
    const handled: number[] = [];
    await t
      .track(
        createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', blockMs: 50 })
          .on(Asked, async (event) => {
            // No causedBy: the trace reaches the answer only through the handler's active context.
            await publisher.publish(Answered, { n: event.data.n });
          })
          .on(Answered, async (event) => void handled.push(event.data.n)),
      )
      .start();
    const unsampledTrace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const sampledTrace = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    await publisher.publish(Asked, { n: 1 }, { traceparent: `00-${unsampledTrace}-1111111111111111-00` });
    await publisher.publish(Asked, { n: 2 }, { traceparent: `00-${sampledTrace}-2222222222222222-01` });
    await waitFor(() => handled.length === 2, { description: 'both answers handled' });

    const answers = parseEntries(await t.redis.sendCommand(['XRANGE', publisher.stream, '-', '+']))
      .filter((entry) => entry.fields.type === 'Answered')
      .map((entry) => entry.fields.traceparent as string);
    const unsampledAnswer = answers.find((traceparent) => traceparent.includes(unsampledTrace));
    const sampledAnswer = answers.find((traceparent) => traceparent.includes(sampledTrace));
    expect(unsampledAnswer && traceparentSampled(unsampledAnswer)).toBe(false);
    expect(sampledAnswer && traceparentSampled(sampledAnswer)).toBe(true);

    expect(tracing.ring.trace(unsampledTrace)).toEqual([]);
    const spans = await waitFor(() => {
      const found = tracing.ring.trace(sampledTrace);
      return found.filter((span) => span.name.startsWith('handle ')).length === 2 ? found : null;
    }, { description: 'the sampled trace recorded in both handlers' });
    expect(spans.map((span) => span.name)).toEqual(expect.arrayContaining(['handle Asked', `XADD ${publisher.stream}`, 'handle Answered']));
  });

  it('reads the ratio setting, refusing what is not a share', () => {
    expect(parseSampleRatio(undefined)).toBe(DEFAULT_SAMPLE_RATIO);
    expect(parseSampleRatio('')).toBe(DEFAULT_SAMPLE_RATIO);
    expect(parseSampleRatio('0.25')).toBe(0.25);
    expect(() => parseSampleRatio('1.5')).toThrow(/from 0 to 1/);
    expect(() => parseSampleRatio('all')).toThrow(/from 0 to 1/);
  });
});
