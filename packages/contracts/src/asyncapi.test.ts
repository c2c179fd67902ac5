import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { renderAsyncApi } from './asyncapi.ts';
import { allChannels, allEvents } from './index.ts';

interface Document {
  channels: Record<string, { address: string; messages: Record<string, unknown> }>;
  components: { messages: Record<string, { name: string; payload: unknown }> };
}

describe('the AsyncAPI document', () => {
  const document = renderAsyncApi() as unknown as Document;

  it('docs/asyncapi.json matches the published schemas (run `npm run catalogue` after a schema change)', () => {
    const checkedIn = readFileSync(resolve(import.meta.dirname, '../../../docs/asyncapi.json'), 'utf8');
    expect(JSON.parse(checkedIn)).toEqual(document);
  });

  it('is valid AsyncAPI 3.0 by the official parser', async () => {
    const diagnostics = await new Parser().validate(JSON.stringify(document));
    // Severity 0 is an error; 1-3 are warnings and hints (e.g. "3.1 exists").
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 0).map((diagnostic) => diagnostic.message)).toEqual([]);
  }, 30_000);

  it('has every stream with every event type, version and payload schema, and every pub/sub channel', () => {
    for (const event of allEvents) {
      const channel = Object.values(document.channels).find((candidate) => candidate.address === event.stream);
      expect(channel, event.stream).toBeDefined();
      const messageId = `${event.type}_v${event.version}`;
      expect(channel?.messages[messageId]).toEqual({ $ref: `#/components/messages/${messageId}` });
      expect(document.components.messages[messageId]?.payload).toEqual(JSON.parse(JSON.stringify(event.schema)));
    }
    for (const channel of allChannels) {
      expect(Object.values(document.channels).some((candidate) => candidate.address === channel.name)).toBe(true);
    }
  });
});
