import type { Command } from 'commander';
import { decodeEnvelope, lastEntryId, redactUrl, replyRecord, replyStreams, type RedisClient } from 'tributary';
import { CliError, EXIT } from '../errors.ts';
import { getJson, resolveApiKey, resolveGatewayUrl, withApiKeyOption, withGatewayOption, type AdminOptions } from '../gateway.ts';
import type { Output } from '../output.ts';
import { connectCliRedis, describe, positiveInteger, resolveRedisUrl, withRedisOptions, type RedisOptions } from '../redis.ts';
import { millis, table } from '../table.ts';

export interface StreamState {
  stream: string;
  length: number;
  entriesAdded: number;
  lastId: string | null;
  deadLetters: number;
  groups: Array<{
    name: string;
    lag: number | null;
    pending: number;
    lastDeliveredId: string;
    consumers: Array<{ name: string; pending: number; idleMs: number }>;
  }>;
}

interface StreamsOptions extends AdminOptions {
  json: boolean;
}

interface TailOptions extends RedisOptions {
  since?: string;
  fromStart: boolean;
  type?: string;
  count?: number;
  json: boolean;
}

const ENTRY_ID = /^\d+(-\d+)?$/;

export function registerStreams(program: Command, output: Output): void {
  withApiKeyOption(
    withGatewayOption(
      program
        .command('streams')
        .description('every stream: length, dead letters, and per consumer group its lag, pending entries and consumers\' idle time')
        .option('--json', 'the gateway\'s answer as one JSON object', false),
    ),
  )
    .addHelpText('after', '\nExit status: 0, or 1 when the gateway cannot be reached or fails.')
    .action(async (options: StreamsOptions) => streams(options, output));

  withRedisOptions(
    program
      .command('tail')
      .description('follow a stream on the bus Redis, one line per entry (time, type, entry id, correlation id, data)')
      .argument('<stream>', 'e.g. ordering:events'),
  )
    .option('--since <id>', 'start after this entry id (default: only entries added from now on)')
    .option('--from-start', 'start at the first entry of the stream', false)
    .option('--type <EventType>', 'only entries of this event type')
    .option('--count <n>', 'stop after n entries (those the --type filter lets through)', positiveInteger)
    .option('--json', 'one JSON object per entry', false)
    .addHelpText(
      'after',
      '\nEntries that are not envelopes are shown as MALFORMED with the reason, never skipped.\n' +
        'Exit status: 0 after --count entries or on Ctrl-C, 1 when Redis fails, 2 for usage errors.',
    )
    .action(async (stream: string, options: TailOptions) => tailStream(stream, options, output));
}

async function streams(options: StreamsOptions, output: Output): Promise<void> {
  const base = resolveGatewayUrl(options);
  const answer = await getJson<{ at: string; streams: StreamState[] }>(base, '/api/system/streams', 'GET /api/system/streams', resolveApiKey(options));
  if (options.json) {
    output.line(JSON.stringify(answer));
    return;
  }
  const rows: string[][] = [];
  for (const state of answer.streams) {
    rows.push([state.stream, String(state.length), state.deadLetters > 0 ? output.red(String(state.deadLetters)) : '0', '', '', '', '']);
    for (const group of state.groups) {
      const consumers = group.consumers.map((consumer) => `${consumer.name} idle ${millis(consumer.idleMs)}${consumer.pending ? `, ${consumer.pending} pending` : ''}`);
      rows.push(['', '', '', group.name, group.lag === null ? '?' : String(group.lag), String(group.pending), consumers.join('; ') || '-']);
    }
  }
  for (const line of table(['STREAM', 'LENGTH', 'DEAD', 'GROUP', 'LAG', 'PENDING', 'CONSUMERS'], rows)) output.line(line);
  output.line(`read at ${answer.at}`);
}

async function tailStream(stream: string, options: TailOptions, output: Output): Promise<void> {
  if (options.since !== undefined && options.fromStart) throw new CliError('give --since or --from-start, not both', EXIT.usage);
  if (options.since !== undefined && !ENTRY_ID.test(options.since)) throw new CliError(`--since: not a stream entry id: ${options.since}`, EXIT.usage);
  const url = resolveRedisUrl(options);
  const redis = await connectCliRedis(url);
  let stopping = false;
  const onSignal = () => {
    stopping = true;
    // Ends the blocked XREAD at once; the loop sees `stopping` and returns.
    redis.destroy();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let cursor = options.fromStart ? '0-0' : (options.since ?? (await lastEntryId(redis, stream)) ?? '0-0');
    let shown = 0;
    if (!options.json) output.error(`following ${stream} on ${redactUrl(url)} after ${cursor} (Ctrl-C to stop)`);
    while (!stopping && (options.count === undefined || shown < options.count)) {
      // Short blocks: BLOCK 0 would outlast the client's command timeout.
      const [read] = replyStreams(await redis.sendCommand(['XREAD', 'COUNT', '100', 'BLOCK', '1000', 'STREAMS', stream, cursor]));
      for (const [id, flat] of read?.entries ?? []) {
        cursor = id;
        if (printEntry(output, options, stream, id, flat ?? [])) shown += 1;
        if (options.count !== undefined && shown >= options.count) break;
      }
    }
  } catch (error) {
    if (stopping) return;
    if (error instanceof CliError) throw error;
    throw new CliError(`Redis at ${redactUrl(url)} failed: ${describe(error)}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!stopping) redis.destroy();
  }
}

/** One entry as a line; false when --type filtered it out. */
function printEntry(output: Output, options: TailOptions, stream: string, id: string, flat: string[]): boolean {
  const fields = replyRecord(flat);
  const decoded = decodeEnvelope(fields);
  if (!decoded.ok) {
    // A malformed entry has no type: --type only lets it through when it names the field's raw value.
    if (options.type !== undefined && fields.type !== options.type) return false;
    if (options.json) output.line(JSON.stringify({ stream, entryId: id, malformed: true, reason: decoded.reason, fields }));
    else output.line(`${' '.repeat(24)}  ${output.red('MALFORMED')}  ${id}  ${decoded.reason}  ${JSON.stringify(fields)}`);
    return true;
  }
  const { envelope } = decoded;
  if (options.type !== undefined && envelope.type !== options.type) return false;
  if (options.json) {
    output.line(
      JSON.stringify({
        stream,
        entryId: id,
        time: envelope.time,
        type: envelope.type,
        version: envelope.version,
        source: envelope.source,
        eventId: envelope.id,
        correlationId: envelope.correlationId,
        causationId: envelope.causationId,
        data: envelope.data,
      }),
    );
  } else {
    output.line(`${envelope.time}  ${output.bold(envelope.type)}  ${id}  corr=${envelope.correlationId}  ${JSON.stringify(envelope.data)}`);
  }
  return true;
}
