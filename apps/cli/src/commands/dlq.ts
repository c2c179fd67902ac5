import type { Command } from 'commander';
import { CliError, EXIT } from '../errors.ts';
import { callGateway, failure, getJson, resolveApiKey, resolveGatewayUrl, withApiKeyOption, withGatewayOption, type AdminOptions } from '../gateway.ts';
import type { Output } from '../output.ts';
import { table } from '../table.ts';
import type { StreamState } from './streams.ts';

export interface DeadLetter {
  id: string;
  stream: string;
  originalId: string;
  group: string;
  consumer: string;
  handler: string;
  error: string;
  attempts: number;
  at: string;
  fields: Record<string, string>;
}

interface ListOptions extends AdminOptions {
  stream?: string;
  json: boolean;
}

interface ReplayOptions extends AdminOptions {
  all: boolean;
  json: boolean;
}

/** As the gateway's admin schema: a service's event stream and a stream entry id. */
const STREAM = /^[a-z][a-z0-9-]*:events$/;
const ENTRY_ID = /^[0-9]+-[0-9]+$/;
/** The gateway's page size limit. */
const PAGE = 1000;

function checkStream(stream: string): string {
  if (!STREAM.test(stream)) throw new CliError(`not an event stream: ${stream} (expected <service>:events)`, EXIT.usage);
  return stream;
}

export function registerDlq(program: Command, output: Output): void {
  const dlq = program.command('dlq').description('dead letters (entries a consumer group gave up on), through the gateway\'s admin API');
  withApiKeyOption(
    withGatewayOption(
      dlq
        .command('list')
        .description('list dead letters: id, stream, group, attempts, when, error, original entry id')
        .option('--stream <stream>', 'only this stream (default: every stream that has dead letters)')
        .option('--json', 'one JSON object: {streams: [{stream, count, items}]}', false),
    ),
  )
    .addHelpText('after', '\nExit status: 0, 1 when the gateway fails or refuses the key, 2 for usage errors.')
    .action(async (options: ListOptions) => list(options, output));

  withApiKeyOption(
    withGatewayOption(
      dlq
        .command('replay')
        .description('put dead letters back on their stream (for the group that failed them): `--all`, or one by stream and dead-letter entry id')
        .argument('[stream]', 'e.g. ordering:events')
        .argument('[deadLetterId]', 'the dead letter\'s entry id (from `tributary dlq list`)')
        .option('--all', 'every dead letter of every stream', false)
        .option('--json', 'one JSON object: {replayed, streams: [{stream, replayed, ids}]}', false),
    ),
  )
    .addHelpText('after', '\nExit status: 0 when replayed, 1 when the dead letter does not exist or the gateway fails, 2 for usage errors.')
    .action(async (stream: string | undefined, id: string | undefined, options: ReplayOptions) => replay(stream, id, options, output));
}

/** The streams that have dead letters, per GET /api/system/streams. */
async function streamsWithLetters(base: string, apiKey: string | null): Promise<string[]> {
  const answer = await getJson<{ streams: StreamState[] }>(base, '/api/system/streams', 'GET /api/system/streams', apiKey);
  return answer.streams.filter((state) => state.deadLetters > 0 && STREAM.test(state.stream)).map((state) => state.stream);
}

async function lettersOf(base: string, stream: string, apiKey: string | null): Promise<{ stream: string; count: number; items: DeadLetter[] }> {
  const items: DeadLetter[] = [];
  let count = 0;
  let after: string | null = null;
  for (;;) {
    const query = new URLSearchParams({ stream, limit: String(PAGE), ...(after ? { after } : {}) });
    const page: { count: number; items: DeadLetter[] } = await getJson(base, `/api/admin/dead-letters?${query}`, `dead letters of ${stream}`, apiKey);
    count = page.count;
    items.push(...page.items);
    if (page.items.length < PAGE) return { stream, count, items };
    after = page.items[page.items.length - 1]?.id ?? null;
  }
}

async function list(options: ListOptions, output: Output): Promise<void> {
  const stream = options.stream === undefined ? undefined : checkStream(options.stream);
  const base = resolveGatewayUrl(options);
  const apiKey = resolveApiKey(options);
  const streams = stream ? [stream] : await streamsWithLetters(base, apiKey);
  const results = [];
  for (const name of streams) results.push(await lettersOf(base, name, apiKey));
  if (options.json) {
    output.line(JSON.stringify({ streams: results }));
    return;
  }
  const letters = results.flatMap((result) => result.items);
  if (letters.length === 0) {
    output.line(stream ? `no dead letters on ${stream}` : 'no dead letters');
    return;
  }
  for (const line of table(
    ['ID', 'STREAM', 'GROUP', 'ATTEMPTS', 'AT', 'ERROR', 'ORIGINAL'],
    letters.map((letter) => [letter.id, letter.stream, letter.group, String(letter.attempts), letter.at, oneLine(letter.error), letter.originalId]),
  )) {
    output.line(line);
  }
  output.line(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}; replay with \`tributary dlq replay <stream> <id>\` or \`--all\``);
}

const oneLine = (text: string) => {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
};

async function replay(stream: string | undefined, id: string | undefined, options: ReplayOptions, output: Output): Promise<void> {
  if (options.all && stream !== undefined) throw new CliError('give --all, or a stream and a dead-letter id, not both', EXIT.usage);
  if (!options.all && (stream === undefined || id === undefined)) throw new CliError('give --all, or a stream and a dead-letter id', EXIT.usage);
  if (stream !== undefined) checkStream(stream);
  if (id !== undefined && !ENTRY_ID.test(id)) throw new CliError(`not a dead-letter entry id: ${id} (expected e.g. 1712345678901-0)`, EXIT.usage);
  const base = resolveGatewayUrl(options);
  const apiKey = resolveApiKey(options);
  const streams = options.all ? await streamsWithLetters(base, apiKey) : [stream as string];
  const results: Array<{ stream: string; replayed: number; ids: string[] }> = [];
  for (const name of streams) {
    const body = options.all ? { stream: name } : { stream: name, ids: [id as string] };
    const answer = await callGateway<{ replayed: number; ids: string[] }>(base, 'POST', '/api/admin/dead-letters/replay', { body, apiKey });
    if (answer.status !== 200) throw failure(`replay on ${name}`, answer);
    results.push({ stream: name, ...answer.body });
  }
  const replayed = results.reduce((sum, result) => sum + result.replayed, 0);
  if (options.json) output.line(JSON.stringify({ replayed, streams: results }));
  else if (options.all && streams.length === 0) output.line('no dead letters to replay');
  else for (const result of results) output.line(`replayed ${result.replayed} dead letter${result.replayed === 1 ? '' : 's'} of ${result.stream}${result.ids.length ? `: new entries ${result.ids.join(', ')}` : ''}`);
  if (!options.all && replayed === 0) throw new CliError(`no dead letter ${id} on ${stream} (see \`tributary dlq list --stream ${stream}\`)`);
}
