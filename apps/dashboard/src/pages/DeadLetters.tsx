import { useState } from 'preact/hooks';
import { api, errorText, get, type DeadLetterList, type StreamsReply } from '../api.ts';
import { formatTime, usePoll, type PageProps } from '../hooks.ts';

/**
 * Dead letters of every stream that has some (the counts come from
 * /api/system/streams, so streams without letters cost no request).
 */
export function DeadLettersPage(_props: PageProps) {
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const lists = usePoll(async () => {
    const streams = await get<StreamsReply>('/api/system/streams');
    const withLetters = streams.streams.filter((stream) => stream.deadLetters > 0).map((stream) => stream.stream);
    return Promise.all(withLetters.map((stream) => get<DeadLetterList>(`/api/admin/dead-letters?stream=${encodeURIComponent(stream)}&limit=100`, { admin: true })));
  }, 3_000);

  const replay = async (stream: string, ids?: string[]) => {
    setActionError(null);
    try {
      const result = await api<{ replayed: number }>('POST', '/api/admin/dead-letters/replay', { stream, ...(ids ? { ids } : {}) }, { admin: true });
      setMessage(`${result.replayed} dead letter${result.replayed === 1 ? '' : 's'} of ${stream} put back on the stream`);
    } catch (caught) {
      setActionError(errorText(caught));
    }
    lists.refresh();
  };

  return (
    <section>
      <h2>Dead letters</h2>
      <p class="muted">Replay puts an entry back on its stream for the group that failed it. Admin actions send the admin key when one is set above.</p>
      {message && (
        <p class="ok" data-testid="replay-message">
          {message}
        </p>
      )}
      {actionError && <p class="error">{actionError}</p>}
      {lists.error && <p class="error">{lists.error}</p>}
      {lists.data && lists.data.length === 0 && (
        <p class="empty" data-testid="no-dead-letters">
          No dead letters on any stream.
        </p>
      )}
      {lists.data?.map((list) => (
        <div class="card" key={list.stream} data-testid={`dead-letters-${list.stream}`}>
          <h3>
            <span class="mono">{list.stream}</span> <span class="pill bad">{list.count}</span>{' '}
            <button type="button" data-testid={`replay-all-${list.stream}`} onClick={() => replay(list.stream)}>
              replay all
            </button>
          </h3>
          <table>
            <thead>
              <tr>
                <th>dead letter</th>
                <th>original entry</th>
                <th>group</th>
                <th>reason</th>
                <th>attempts</th>
                <th>at</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.items.map((letter) => (
                <tr key={letter.id} data-testid="dead-letter-row" data-id={letter.id} data-original-id={letter.originalId}>
                  <td class="mono small">{letter.id}</td>
                  <td class="mono small" title={JSON.stringify(letter.fields, null, 2)}>
                    {letter.originalId}
                  </td>
                  <td class="small">
                    {letter.group}
                    <br />
                    <span class="muted">{letter.handler}</span>
                  </td>
                  <td class="reason">{letter.error}</td>
                  <td class="num">{letter.attempts}</td>
                  <td class="small">{formatTime(letter.at)}</td>
                  <td>
                    <button type="button" data-testid={`replay-${letter.id}`} onClick={() => replay(list.stream, [letter.id])}>
                      replay
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.count > list.items.length && <p class="muted small">showing the oldest {list.items.length} of {list.count}</p>}
        </div>
      ))}
    </section>
  );
}
