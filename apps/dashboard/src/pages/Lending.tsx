import { get, type LendingRecent } from '../api.ts';
import { formatTime, usePoll, type PageProps } from '../hooks.ts';

function statusClass(status: string): string {
  if (status === 'ACCEPTED' || status === 'PROCESSED') return 'up';
  if (status === 'PENDING') return 'warn';
  return 'down';
}

export function LendingPage(_props: PageProps) {
  const { data, error } = usePoll(() => get<LendingRecent>('/api/lending/recent?limit=100'), 3_000);
  return (
    <section>
      <h2>Lending</h2>
      <p class="muted">Recent lend and return requests (lending:requests) and their outcomes (lending:events), newest first.</p>
      {error && <p class="error">{error}</p>}
      <table data-testid="lending-table">
        <thead>
          <tr>
            <th>at</th>
            <th>request</th>
            <th>kind</th>
            <th>user</th>
            <th>books</th>
            <th>outcome</th>
          </tr>
        </thead>
        <tbody>
          {data?.requests.map((request) => (
            <tr key={request.requestId} data-testid="lending-row">
              <td class="small">{formatTime(request.at)}</td>
              <td class="mono small">{request.requestId}</td>
              <td>{request.kind}</td>
              <td class="mono small">{request.userId}</td>
              <td class="small">{request.bookIds.join(', ')}</td>
              <td>
                <span class={`badge ${statusClass(request.status)}`}>{request.status}</span>
                {request.reason && <span class="muted small"> {request.reason}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.requests.length === 0 && <p class="empty">No lending requests yet.</p>}
    </section>
  );
}
