import { useState } from 'preact/hooks';
import { api, errorText, get } from '../api.ts';
import { formatTime, usePoll } from '../hooks.ts';

interface StuckOrdersReply {
  stuckAfterMs: number;
  counts: Record<string, number>;
  items: Array<{ id: string; userId: string; status: string; totalCents: number; updatedAt: string }>;
}

/**
 * Orders in a non-final status longer than ORDER_STUCK_AFTER_MS (the same
 * figures as ordering's `tributary_orders_stuck`). One stuck awaiting
 * shipment can be ended here: ordering requests its refund and the saga
 * finishes it; one waiting for accounts is unblocked by replaying accounts'
 * dead letter (Dead letters page).
 */
export function StuckOrders({ onShow }: { onShow: (orderId: string) => void }) {
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const stuck = usePoll(() => get<StuckOrdersReply>('/api/admin/orders/stuck?limit=50', { admin: true }), 10_000);

  const resolve = async (orderId: string) => {
    setActionError(null);
    try {
      const result = await api<{ status: string }>('POST', `/api/admin/orders/${encodeURIComponent(orderId)}/resolve`, undefined, { admin: true });
      setMessage(`order ${orderId} is ${result.status}: its refund is requested`);
    } catch (caught) {
      setActionError(errorText(caught));
    }
    stuck.refresh();
  };

  const total = stuck.data ? Object.values(stuck.data.counts).reduce((sum, count) => sum + count, 0) : 0;
  return (
    <div class="card" data-testid="stuck-orders">
      <h3>
        Stuck orders {stuck.data && <span class={`pill ${total > 0 ? 'bad' : 'up'}`}>{total}</span>}
      </h3>
      {stuck.error && <p class="error">{stuck.error}</p>}
      {message && <p class="ok">{message}</p>}
      {actionError && <p class="error">{actionError}</p>}
      {stuck.data && (
        <p class="muted small">
          unchanged for over {Math.round(stuck.data.stuckAfterMs / 60_000)} min:{' '}
          {Object.entries(stuck.data.counts)
            .map(([status, count]) => `${status} ${count}`)
            .join(', ')}
        </p>
      )}
      {stuck.data && stuck.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>order</th>
              <th>status</th>
              <th>since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {stuck.data.items.map((order) => (
              <tr key={order.id}>
                <td>
                  <a class="mono" href="#" onClick={(event) => { event.preventDefault(); onShow(order.id); }}>
                    {order.id}
                  </a>
                </td>
                <td>{order.status}</td>
                <td>{formatTime(order.updatedAt)}</td>
                <td>
                  {order.status === 'AWAITING_SHIPMENT' ? (
                    <button type="button" data-testid={`resolve-${order.id}`} onClick={() => resolve(order.id)}>
                      refund and close
                    </button>
                  ) : (
                    <span class="muted small">waits for accounts: replay its dead letter</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
