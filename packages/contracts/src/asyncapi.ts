import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { allChannels, allEvents } from './index.ts';

/**
 * The stream entry fields every event carries next to `data` (see the kit's
 * envelope). AsyncAPI calls them headers; the payload is the `data` JSON.
 */
const ENVELOPE_HEADERS = {
  type: 'object',
  required: ['id', 'type', 'version', 'time', 'source', 'correlationId', 'traceparent'],
  properties: {
    id: { type: 'string', description: 'Event id: consumers deduplicate by it.' },
    type: { type: 'string', description: 'Event type, the message name.' },
    version: { type: 'string', pattern: '^[0-9]+$', description: 'Schema version of `data`.' },
    time: { type: 'string', format: 'date-time' },
    source: { type: 'string', description: 'The service that owns the stream.' },
    correlationId: { type: 'string', description: 'The business flow (an order id, say) this event belongs to.' },
    causationId: { type: 'string', description: 'The event that caused this one; empty for the first.' },
    traceparent: { type: 'string', description: 'W3C trace context, so one flow is one trace across services.' },
  },
} as const;

/** A channel or message id as AsyncAPI wants it: letters, digits, `_` and `-` only. */
function idOf(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** A TypeBox schema as plain JSON Schema (TypeBox's symbol keys dropped). */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema));
}

/**
 * An AsyncAPI 3.0 document of every stream and pub/sub channel, generated
 * from the published schemas like docs/events.md, so it cannot drift from
 * the code. Operations are the owning service's `send`s; who receives is a
 * consumer's own business and not part of a contract.
 */
export function renderAsyncApi(): Record<string, unknown> {
  const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};

  for (const stream of [...new Set(allEvents.map((event) => event.stream))]) {
    const channelId = idOf(stream);
    const events = allEvents.filter((event) => event.stream === stream);
    const channelMessages: Record<string, unknown> = {};
    for (const event of events) {
      const messageId = `${event.type}_v${event.version}`;
      const description = (event.schema as { description?: string }).description;
      messages[messageId] = {
        name: event.type,
        title: `${event.type} v${event.version}`,
        ...(description ? { summary: description } : {}),
        contentType: 'application/json',
        headers: ENVELOPE_HEADERS,
        payload: plain(event.schema),
      };
      channelMessages[messageId] = { $ref: `#/components/messages/${messageId}` };
    }
    const owners = [...new Set(events.map((event) => event.source))];
    channels[channelId] = {
      address: stream,
      title: stream,
      description: `Redis stream owned by ${owners.join(', ')}. Durable: read through consumer groups, acknowledged after handling.`,
      messages: channelMessages,
    };
    operations[`${channelId}-send`] = {
      action: 'send',
      title: `${owners.join(', ')} appends to ${stream}`,
      channel: { $ref: `#/channels/${channelId}` },
      messages: Object.keys(channelMessages).map((messageId) => ({ $ref: `#/channels/${channelId}/messages/${messageId}` })),
    };
  }

  for (const channel of allChannels) {
    const channelId = idOf(channel.name);
    const messageId = `${idOf(channel.name)}_message`;
    messages[messageId] = { name: channel.name, contentType: 'application/json', payload: plain(channel.schema) };
    channels[channelId] = {
      address: channel.name,
      title: channel.name,
      description: 'Redis pub/sub channel: fire and forget, for live views only; a missed message is replaced by the next.',
      messages: { [messageId]: { $ref: `#/components/messages/${messageId}` } },
    };
    operations[`${channelId}-send`] = {
      action: 'send',
      channel: { $ref: `#/channels/${channelId}` },
      messages: [{ $ref: `#/channels/${channelId}/messages/${messageId}` }],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Tributary reference system events',
      version,
      description:
        'Every event stream and pub/sub channel of the reference system, generated from `packages/contracts` by `npm run catalogue`. ' +
        'Each stream entry is a flat field list: the headers below plus `data`, the payload as JSON.',
    },
    defaultContentType: 'application/json',
    servers: {
      bus: {
        host: '127.0.0.1:6379',
        protocol: 'redis',
        description: 'The bus Redis (`BUS_REDIS_URL`); `npm start` runs a private one on a free port.',
      },
    },
    channels,
    operations,
    components: { messages },
  };
}
