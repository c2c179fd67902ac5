import { get, type RegionsReply } from '../api.ts';
import { usePoll, type PageProps } from '../hooks.ts';

/** Lag above this is shown as a warning: replication normally keeps within a few milliseconds. */
const SLOW_MS = 1_000;

export function RegionsPage(_props: PageProps) {
  const { data, error } = usePoll(() => get<RegionsReply>('/api/monitoring/regions'), 2_000);
  return (
    <section>
      <h2>Regions</h2>
      <p class="muted">
        order-monitoring's leaderboards and failure counts, kept Active/Active: each region writes its own Redis and applies every other
        region's log (docs/kit/activeactive.md). Per pair, both ways: entries its target has not applied yet, and the age of the oldest.
      </p>
      {error && <p class="error">{error}</p>}
      {data && data.region === null && <p class="empty" data-testid="regions-single">One region: ORDER_MONITORING_REGION is not set.</p>}
      {data && data.region !== null && (
        <>
          <p data-testid="regions-here">
            This region: <strong>{data.region}</strong>
          </p>
          <table data-testid="regions-table">
            <thead>
              <tr>
                <th>from</th>
                <th>to</th>
                <th>state</th>
                <th>pending</th>
                <th>oldest pending</th>
                <th>cursor</th>
              </tr>
            </thead>
            <tbody>
              {data.replication.map((pair) => (
                <tr key={`${pair.source}-${pair.target}`} data-testid={`regions-row-${pair.source}`}>
                  <td>{pair.source}</td>
                  <td>{pair.target}</td>
                  {'unreachable' in pair ? (
                    <td colSpan={4}>
                      <span class="badge down">unreachable</span> <span class="muted small">{pair.unreachable}</span>
                    </td>
                  ) : (
                    <>
                      <td>
                        <span class={`badge ${pair.pending === 0 ? 'up' : pair.oldestPendingMs > SLOW_MS ? 'down' : 'warn'}`}>
                          {pair.pending === 0 ? 'caught up' : 'behind'}
                        </span>
                      </td>
                      <td>{pair.pending >= 1000 ? '1000+' : pair.pending}</td>
                      <td>{pair.pending === 0 ? '–' : `${pair.oldestPendingMs} ms`}</td>
                      <td class="mono small">{pair.cursor}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
