import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { get, type LiveEntry, type StreamsReply } from '../api.ts';
import { formatTime, useEventSource, usePoll, type PageProps } from '../hooks.ts';

const CAP = 500;
// Types seen in this tab so far, so the type filter can offer them after a stream filter hides the rest.
const seenTypes = new Set<string>();

export function EventsPage(_props: PageProps) {
  const [stream, setStream] = useState('');
  const [type, setType] = useState('');
  const [entries, setEntries] = useState<LiveEntry[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const streams = usePoll(() => get<StreamsReply>('/api/system/streams'), 60_000);

  // The gateway filters (one XREAD loop shared by every subscriber); a new filter is a new subscription.
  const query = new URLSearchParams({ ...(stream ? { stream } : {}), ...(type ? { type } : {}) }).toString();
  const url = `/api/events/live${query ? `?${query}` : ''}`;
  const state = useEventSource<LiveEntry>(url, 'entry', (entry) => {
    seenTypes.add(entry.type);
    setEntries((list) => [entry, ...list].slice(0, CAP));
  });

  return (
    <section>
      <h2>Live events</h2>
      <div class="toolbar">
        <label>
          stream
          <select data-testid="events-stream" value={stream} onChange={(event) => setStream((event.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {streams.data?.streams.map((candidate) => (
              <option key={candidate.stream} value={candidate.stream}>
                {candidate.stream}
              </option>
            ))}
          </select>
        </label>
        <label>
          type
          <select data-testid="events-type" value={type} onChange={(event) => setType((event.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {[...seenTypes, ...(type && !seenTypes.has(type) ? [type] : [])].sort().map((candidate) => (
              <option key={candidate} value={candidate}>
                {candidate}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setEntries([])}>
          clear
        </button>
        <span class={`badge ${state === 'open' ? 'up' : 'down'}`} data-testid="events-state">
          {state}
        </span>
        <span class="muted small" data-testid="events-count">
          {entries.length} shown (newest first, at most {CAP})
        </span>
      </div>
      <table>
        <thead>
          <tr>
            <th>time</th>
            <th>stream</th>
            <th>type</th>
            <th>source</th>
            <th>correlation</th>
            <th>entry</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <Fragment key={`${entry.stream}/${entry.entryId}`}>
              <tr
                data-testid="event-row"
                class="clickable"
                onClick={() => setOpen(open === entry.entryId ? null : entry.entryId)}
              >
                <td class="small">{formatTime(entry.time)}</td>
                <td class="mono">{entry.stream}</td>
                <td>{entry.type}</td>
                <td>{entry.source}</td>
                <td class="mono small">
                  {entry.correlationId ? <a href={`#/orders?id=${encodeURIComponent(entry.correlationId)}`}>{entry.correlationId}</a> : '–'}
                </td>
                <td class="mono small">{entry.entryId}</td>
              </tr>
              {open === entry.entryId && (
                <tr>
                  <td colSpan={6}>
                    <pre>{JSON.stringify(entry.data, null, 2)}</pre>
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      {entries.length === 0 && <p class="empty">Waiting for new events{stream || type ? ' matching the filter' : ''}…</p>}
    </section>
  );
}
