import { get, type StreamInfo, type StreamsReply } from '../api.ts';
import { usePoll, type PageProps } from '../hooks.ts';

const POLL_MS = 2_000;
const KEEP_MS = 5 * 60_000;

interface Sample {
  at: number;
  /** entries per second since the previous poll */
  rate: number;
}

// Kept at module level so leaving the page and coming back keeps the plot.
// Throughput is computed here, from `entriesAdded` deltas (XINFO STREAM's
// entries-added never goes down, unlike XLEN under MAXLEN trimming).
const previous = new Map<string, { at: number; added: number }>();
const samples = new Map<string, Sample[]>();

function record(reply: StreamsReply): void {
  const at = Date.parse(reply.at) || Date.now();
  for (const stream of reply.streams) {
    const before = previous.get(stream.stream);
    previous.set(stream.stream, { at, added: stream.entriesAdded });
    if (!before || at <= before.at) continue;
    const rate = Math.max(0, stream.entriesAdded - before.added) / ((at - before.at) / 1000);
    const list = samples.get(stream.stream) ?? [];
    list.push({ at, rate });
    while (list.length > 0 && (list[0]?.at ?? at) < at - KEEP_MS) list.shift();
    samples.set(stream.stream, list);
  }
}

function Sparkline({ points, now }: { points: Sample[]; now: number }) {
  const width = 160;
  const height = 28;
  const max = Math.max(1, ...points.map((point) => point.rate));
  const x = (at: number) => width - ((now - at) / KEEP_MS) * width;
  const y = (rate: number) => height - 1 - (rate / max) * (height - 2);
  const line = points.map((point) => `${x(point.at).toFixed(1)},${y(point.rate).toFixed(1)}`).join(' ');
  return (
    <svg class="spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="throughput over the last 5 minutes">
      <line x1="0" y1={height - 1} x2={width} y2={height - 1} class="axis" />
      {points.length > 1 && <polyline points={line} />}
      <title>{`peak ${max.toFixed(1)}/s over the last 5 minutes`}</title>
    </svg>
  );
}

function idle(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

function StreamRows({ stream, now }: { stream: StreamInfo; now: number }) {
  const points = samples.get(stream.stream) ?? [];
  const last = points[points.length - 1];
  return (
    <tbody data-testid={`stream-${stream.stream}`}>
      <tr class="stream-row">
        <td class="mono">{stream.stream}</td>
        <td class="num">{stream.length}</td>
        <td class="num">{last ? last.rate.toFixed(1) : '–'}</td>
        <td>
          <Sparkline points={points} now={now} />
        </td>
        <td class={`num ${stream.deadLetters > 0 ? 'bad' : ''}`}>{stream.deadLetters}</td>
        <td class="mono small">{stream.lastId}</td>
      </tr>
      {stream.groups.map((group) => (
        <tr key={group.name} class="group-row">
          <td colSpan={6}>
            <span class="mono">↳ {group.name}</span>
            <span class={`pill ${group.lag ? 'warn' : ''}`}>lag {group.lag ?? '?'}</span>
            <span class={`pill ${group.pending ? 'warn' : ''}`}>pending {group.pending}</span>
            {group.consumers.map((consumer) => (
              <span key={consumer.name} class="consumer small" title={`pending ${consumer.pending}`}>
                {consumer.name}: idle {idle(consumer.idleMs)}
                {consumer.pending > 0 ? `, ${consumer.pending} pending` : ''}
              </span>
            ))}
          </td>
        </tr>
      ))}
    </tbody>
  );
}

export function StreamsPage(_props: PageProps) {
  const { data, error } = usePoll(async () => {
    const reply = await get<StreamsReply>('/api/system/streams');
    record(reply);
    return reply;
  }, POLL_MS);
  const now = data ? Date.parse(data.at) || Date.now() : Date.now();
  return (
    <section>
      <h2>Streams</h2>
      <p class="muted">Polled every {POLL_MS / 1000} s; throughput from entries added between polls, last 5 minutes.</p>
      {error && <p class="error">{error}</p>}
      <table class="streams" data-testid="streams-table">
        <thead>
          <tr>
            <th>stream</th>
            <th>length</th>
            <th>entries/s</th>
            <th>throughput</th>
            <th>dead letters</th>
            <th>last id</th>
          </tr>
        </thead>
        {data?.streams.map((stream) => <StreamRows key={stream.stream} stream={stream} now={now} />)}
      </table>
    </section>
  );
}
