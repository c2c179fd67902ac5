import { describe, expect, it } from 'vitest';
import { allEvents, trimmedStreamsOf, UNTRIMMED_STREAMS } from './index.ts';

describe('which streams a service trims', () => {
  it('its own streams, but never the user and product logs other services build their copies from', () => {
    expect(trimmedStreamsOf('ordering')).toEqual(['ordering:events']);
    expect(trimmedStreamsOf('lending')).toEqual(['lending:events', 'lending:requests']);
    expect(trimmedStreamsOf('accounts')).toEqual(['accounts:payments']);
    expect(trimmedStreamsOf('catalog')).toEqual([]);
    expect(trimmedStreamsOf('gateway')).toEqual([]);
    // Every stream of the catalogue is trimmed by exactly one service, or kept whole.
    const streams = new Set(allEvents.map((definition) => definition.stream));
    const sources = [...new Set(allEvents.map((definition) => definition.source))];
    const trimmed = sources.flatMap((source) => trimmedStreamsOf(source));
    expect(new Set(trimmed).size).toBe(trimmed.length);
    expect(new Set([...trimmed, ...UNTRIMMED_STREAMS])).toEqual(streams);
  });
});
