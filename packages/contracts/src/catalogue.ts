import { allEvents } from './index.ts';

/** Renders docs/events.md from the published schemas: the catalogue cannot drift from the code. */
export function renderEventCatalogue(): string {
  const lines = [
    '# Event catalogue',
    '',
    'Generated from `packages/contracts` by `npm run catalogue`; a test fails when this file is stale.',
    'Every entry carries the envelope fields `id, type, version, time, source, correlationId, causationId, traceparent` and `data` (JSON, schema below).',
    '',
  ];
  const streams = [...new Set(allEvents.map((event) => event.stream))];
  for (const stream of streams) {
    lines.push(`## \`${stream}\``, '');
    for (const event of allEvents.filter((candidate) => candidate.stream === stream)) {
      const description = (event.schema as { description?: string }).description;
      lines.push(`### ${event.type} v${event.version}`, '');
      if (description) lines.push(description, '');
      lines.push('```json', JSON.stringify(event.schema, null, 2), '```', '');
    }
  }
  return lines.join('\n');
}
