import type { Command } from 'commander';
import {
  LENDING_REQUESTS_STREAM,
  LendingRequested,
  RequestAccepted,
  RequestRejected,
  ReturnProcessed,
  ReturnRequested,
} from '@tributary/contracts';
import { createPublisher, decodeEnvelope, lastEntryId, redactUrl, replyRecord, replyStreams, type EventData, type RedisClient } from 'tributary';
import { CliError, EXIT } from '../errors.ts';
import type { Output } from '../output.ts';
import { connectCliRedis, describe, positiveInteger, resolveRedisUrl, withRedisOptions, type RedisOptions } from '../redis.ts';

/** Where lending publishes outcomes (`<service>:events`). */
export const LENDING_EVENTS_STREAM = 'lending:events';

type Kind = 'lend' | 'return';

type Outcome =
  | { type: 'RequestAccepted'; data: EventData<typeof RequestAccepted> }
  | { type: 'RequestRejected'; data: EventData<typeof RequestRejected> }
  | { type: 'ReturnProcessed'; data: EventData<typeof ReturnProcessed> };

const OUTCOMES = { RequestAccepted, RequestRejected, ReturnProcessed } as const;

interface LendingOptions extends RedisOptions {
  timeout: number;
  wait: boolean;
  json: boolean;
}

/**
 * `tributary lending request|return <user> <books...>`: the book's
 * get_books.py. It appends to lending:requests directly (as the book's script
 * does, no HTTP), prints the request id (the entry id) at once, then waits for
 * lending's outcome event for that id.
 */
export function registerLending(program: Command, output: Output): void {
  const lending = program
    .command('lending')
    .description('The robotic lending library (the book\'s chapter 5): ask for books and return them');
  for (const kind of ['lend', 'return'] as const) {
    const name = kind === 'lend' ? 'request' : 'return';
    withRedisOptions(
      lending
        .command(name)
        .description(kind === 'lend' ? 'ask for books, e.g. `tributary lending request Salvatore ofmiceandmen`' : 'bring books back, e.g. `tributary lending return Salvatore ofmiceandmen`')
        .argument('<userId>', 'who asks')
        .argument('<bookIds...>', 'one or more book ids'),
    )
      .option('--timeout <ms>', 'how long to wait for the outcome', positiveInteger, 10_000)
      .option('--no-wait', 'print the request id and exit, without waiting for the outcome')
      .option('--json', 'one JSON object per line (submitted, then the outcome) instead of text')
      .addHelpText(
        'after',
        '\nExit status: 0 once the request has an answer (a rejection is an answer, printed as REJECTED),\n' +
          '1 when Redis cannot be reached or no outcome came within --timeout, 2 for usage errors.',
      )
      .action(async (userId: string, bookIds: string[], options: LendingOptions) => {
        await submit(kind, userId, bookIds, options, output);
      });
  }
}

async function submit(kind: Kind, userId: string, bookIds: string[], options: LendingOptions, output: Output): Promise<void> {
  const definition = kind === 'lend' ? LendingRequested : ReturnRequested;
  const data = { userId, bookIds };
  // Checked before connecting: a bad id is the user's mistake (exit 2), not a failure.
  const problem = definition.validate(data);
  if (problem) throw new CliError(`invalid ${kind === 'lend' ? 'request' : 'return'}: ${problem.replace(/^\//, '')}`, EXIT.usage);

  const url = resolveRedisUrl(options);
  const redis = await connectCliRedis(url);
  try {
    // Remembered before the XADD: the outcome may be published before our first XREAD.
    const after = (await lastEntryId(redis, LENDING_EVENTS_STREAM)) ?? '0-0';
    const publisher = createPublisher({ redis, service: 'lending', stream: LENDING_REQUESTS_STREAM });
    const requestId = await publisher.publish(definition, data);
    printSubmitted(output, options, kind, requestId, data);
    if (!options.wait) return;
    const outcome = await waitForOutcome(redis, requestId, after, options.timeout);
    if (!outcome) {
      throw new CliError(
        `no outcome for ${requestId} within ${options.timeout} ms: is the lending service running? ` +
          `(the request stays on ${LENDING_REQUESTS_STREAM} and is processed when it is)`,
      );
    }
    printOutcome(output, options, kind, requestId, userId, outcome);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`Redis at ${redactUrl(url)} failed: ${describe(error)}`);
  } finally {
    redis.destroy();
  }
}

/** Reads lending:events from `after` until the outcome for `requestId`, or null at the deadline. */
async function waitForOutcome(redis: RedisClient, requestId: string, after: string, timeoutMs: number): Promise<Outcome | null> {
  const deadline = Date.now() + timeoutMs;
  let cursor = after;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return null;
    // BLOCK 0 would mean forever; short blocks keep the deadline honest.
    const block = Math.max(1, Math.min(remaining, 1_000));
    const [read] = replyStreams(await redis.sendCommand(['XREAD', 'COUNT', '100', 'BLOCK', String(block), 'STREAMS', LENDING_EVENTS_STREAM, cursor]));
    for (const [id, flat] of read?.entries ?? []) {
      cursor = id;
      const outcome = outcomeOf(requestId, flat ?? []);
      if (outcome) return outcome;
    }
  }
}

function outcomeOf(requestId: string, flat: string[]): Outcome | null {
  const decoded = decodeEnvelope(replyRecord(flat));
  // Not an envelope, or another request's event: not ours to judge.
  if (!decoded.ok || !(decoded.envelope.type in OUTCOMES)) return null;
  const { type, data } = decoded.envelope as { type: keyof typeof OUTCOMES; data: unknown };
  if ((data as { requestId?: unknown } | null)?.requestId !== requestId) return null;
  const problem = OUTCOMES[type].validate(data);
  if (problem) throw new CliError(`lending published an invalid ${type} for ${requestId}: ${problem}`);
  return { type, data } as Outcome;
}

function printSubmitted(output: Output, options: LendingOptions, kind: Kind, requestId: string, data: { userId: string; bookIds: string[] }): void {
  if (options.json) {
    output.line(JSON.stringify({ requestId, kind, status: 'SUBMITTED', ...data }));
    return;
  }
  const what = kind === 'lend' ? 'Request:' : 'Book Return';
  output.line(`${what} [${output.bold(requestId)}] by ${data.userId} submitted${options.wait ? ', waiting for the lending service…' : '.'}`);
}

function list(output: Output, title: string, bookIds: string[]): void {
  if (bookIds.length === 0) return;
  output.line(`${title}:`);
  bookIds.forEach((bookId, index) => output.line(`${index + 1}) ${bookId}`));
}

/** The book's lines (`Request: [id] by Salvatore ACCEPTED.` / `Books:` / `1) ofmiceandmen`). */
function printOutcome(output: Output, options: LendingOptions, kind: Kind, requestId: string, userId: string, outcome: Outcome): void {
  const { requestId: _, ...rest } = outcome.data;
  if (options.json) {
    const status = { RequestAccepted: 'ACCEPTED', RequestRejected: 'REJECTED', ReturnProcessed: 'PROCESSED' }[outcome.type];
    output.line(JSON.stringify({ requestId, kind, status, ...rest }));
    return;
  }
  switch (outcome.type) {
    case 'RequestAccepted':
      output.line(`Request: [${requestId}] by ${userId} ${output.green('ACCEPTED')}.`);
      list(output, 'Books', outcome.data.bookIds);
      list(output, 'Unavailable', outcome.data.unavailableBookIds);
      return;
    case 'RequestRejected':
      output.line(`Request: [${requestId}] by ${userId} ${output.red('REJECTED')} (${outcome.data.reason}).`);
      list(output, 'Books at fault', outcome.data.bookIdsAtFault ?? []);
      return;
    case 'ReturnProcessed':
      output.line(`Book Return [${requestId}] ${output.green('PROCESSED')}`);
      list(output, 'Returned', outcome.data.returnedBookIds);
      list(output, output.yellow('Refused (not lent to this user)'), outcome.data.refusedBookIds);
  }
}
