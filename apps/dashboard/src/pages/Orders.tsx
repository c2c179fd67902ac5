import { useEffect, useState } from 'preact/hooks';
import { api, errorText, get, type Order, type Timeline, type TraceReply } from '../api.ts';
import { formatTime, usePoll, setRouteParams, type PageProps } from '../hooks.ts';
import { StuckOrders } from './StuckOrders.tsx';

/** The saga's end states (TERMINAL_STATUSES in the contracts): polling slows down once one is reached. */
const TERMINAL = new Set(['COMPLETED_SUCCESSFULLY', 'BLOCKED_NO_FUNDS', 'COMPLETED_WITH_FAILURE']);

function statusClass(status: string): string {
  if (status === 'COMPLETED_SUCCESSFULLY') return 'up';
  if (TERMINAL.has(status)) return 'down';
  return 'warn';
}

function random(): string {
  return Math.random().toString(36).slice(2, 8);
}

/**
 * Starts a saga from the browser: creates a customer and a product through
 * the public API when none is given (so a fresh system can be tried at once),
 * then places the order.
 */
async function placeDemoOrder(userId: string, productId: string, quantity: number): Promise<string> {
  let user = userId.trim();
  if (!user) {
    const created = await api<{ id: string }>('POST', '/api/users', {
      name: 'Dashboard Demo',
      email: `demo-${random()}@example.com`,
      country: 'GB',
      balanceCents: 100_000,
    });
    user = created.id;
    // Drones need somewhere to fly to.
    await api('PATCH', `/api/users/${user}`, { address: '1 Demo Street, London' });
  }
  let product = productId.trim();
  if (!product) {
    const created = await api<{ id: string }>('POST', '/api/products', {
      sku: `DEMO-${random()}`,
      name: 'Demo tea',
      priceCents: 450,
      stock: 1_000,
      bannedCountries: [],
    });
    product = created.id;
  }
  const placed = await api<{ orderId: string }>('POST', '/api/orders', { userId: user, items: [{ productId: product, quantity }] });
  return placed.orderId;
}

function DemoOrderForm({ onPlaced }: { onPlaced: (orderId: string) => void }) {
  const [userId, setUserId] = useState('');
  const [productId, setProductId] = useState('');
  const [quantity, setQuantity] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="card"
      data-testid="demo-order-form"
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setError(null);
        try {
          onPlaced(await placeDemoOrder(userId, productId, quantity));
        } catch (caught) {
          setError(errorText(caught));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3>Place a demo order</h3>
      <p class="muted small">Leave the ids empty to create a customer (GB, £1000) and a product first.</p>
      <div class="toolbar">
        <label>
          user id
          <input data-testid="demo-user" value={userId} placeholder="new user" onInput={(event) => setUserId((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          product id
          <input data-testid="demo-product" value={productId} placeholder="new product" onInput={(event) => setProductId((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          quantity
          <input
            data-testid="demo-quantity"
            type="number"
            min={1}
            max={10000}
            value={quantity}
            onInput={(event) => setQuantity(Math.max(1, Number((event.target as HTMLInputElement).value) || 1))}
          />
        </label>
        <button type="submit" data-testid="demo-order-submit" disabled={busy}>
          {busy ? 'placing…' : 'place order'}
        </button>
      </div>
      {error && <p class="error" data-testid="demo-order-error">{error}</p>}
    </form>
  );
}

function TraceWaterfall({ traceId }: { traceId: string }) {
  const [trace, setTrace] = useState<TraceReply | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setTrace(null);
    get<TraceReply>(`/api/traces/${encodeURIComponent(traceId)}`).then(setTrace, (caught: unknown) => setError(errorText(caught)));
  }, [traceId]);
  if (error) return <p class="error">{error}</p>;
  if (!trace) return <p class="muted">loading trace…</p>;
  if (trace.spans.length === 0) return <p class="empty">No spans kept for this trace (each service keeps its last spans only).</p>;
  const starts = trace.spans.map((span) => Date.parse(span.startedAt));
  const begin = Math.min(...starts);
  const end = Math.max(...trace.spans.map((span, index) => (starts[index] ?? begin) + span.durationMs));
  const total = Math.max(1, end - begin);
  return (
    <div class="waterfall" data-testid="trace-waterfall">
      <p class="muted small">
        trace <span class="mono">{trace.traceId}</span>: {trace.spans.length} spans over {total.toFixed(0)} ms
        {trace.missing && trace.missing.length > 0 ? `; no answer from ${trace.missing.join(', ')}` : ''}
      </p>
      {trace.spans.map((span, index) => {
        const left = (((starts[index] ?? begin) - begin) / total) * 100;
        const width = Math.max(0.4, (span.durationMs / total) * 100);
        return (
          <div class="span-row" key={span.spanId} data-testid="trace-span" title={`${span.service} ${span.name}: ${span.durationMs.toFixed(1)} ms${span.error ? ` (${span.error})` : ''}`}>
            <span class="span-label">
              <b>{span.service}</b> {span.name}
            </span>
            <span class="span-track">
              <span class={`span-bar ${span.kind} ${span.error ? 'failed' : ''}`} style={{ left: `${left}%`, width: `${width}%` }} />
            </span>
            <span class="span-ms">{span.durationMs.toFixed(1)} ms</span>
          </div>
        );
      })}
    </div>
  );
}

interface TimelineRow {
  at: string;
  kind: 'status' | 'event';
  what: string;
  service: string;
  detail: string;
}

function OrderView({ orderId }: { orderId: string }) {
  const [showTrace, setShowTrace] = useState(false);
  const [terminal, setTerminal] = useState(false);
  const order = usePoll(() => get<Order>(`/api/orders/${encodeURIComponent(orderId)}`), terminal ? 15_000 : 1_500, [orderId]);
  // The timeline is read on its own: a failure there still leaves the order's status visible.
  const timeline = usePoll(() => get<Timeline>(`/api/orders/${encodeURIComponent(orderId)}/timeline`), terminal ? 15_000 : 1_500, [orderId]);
  const status = order.data?.status ?? timeline.data?.status ?? null;
  useEffect(() => setTerminal(status !== null && TERMINAL.has(status)), [status]);

  if (order.error && !order.data) {
    return <p class="error" data-testid="order-error">{order.error.startsWith('404') ? `No order ${orderId}` : order.error}</p>;
  }
  const rows: TimelineRow[] = [
    ...(order.data?.history ?? []).map((step) => ({ at: step.at, kind: 'status' as const, what: step.status, service: 'ordering', detail: 'order status' })),
    ...(timeline.data?.steps ?? []).map((step) => ({ at: step.at, kind: 'event' as const, what: step.type, service: step.service, detail: `${step.stream} ${step.entryId}` })),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const traceId = timeline.data?.traceId ?? timeline.data?.steps.find((step) => step.traceId)?.traceId ?? null;

  return (
    <div class="card" data-testid="order-view">
      <h3>
        Order <span class="mono">{orderId}</span>{' '}
        {status && (
          <span class={`badge ${statusClass(status)}`} data-testid="order-status">
            {status}
          </span>
        )}
      </h3>
      {order.data && (
        <p class="muted small">
          user <span class="mono">{order.data.userId}</span>, total {(order.data.totalCents / 100).toFixed(2)}
          {order.data.failureReason ? `, failed: ${order.data.failureReason}` : ''}
          {order.data.deliveryId ? (
            <>
              , delivery <a href={`#/deliveries?id=${order.data.deliveryId}`}>{order.data.deliveryId}</a>
            </>
          ) : null}
        </p>
      )}
      {timeline.error && <p class="error small">timeline: {timeline.error}</p>}
      <table data-testid="order-timeline">
        <thead>
          <tr>
            <th>time</th>
            <th>service</th>
            <th>step</th>
            <th>where</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={`${row.kind}-${index}`} class={row.kind} data-testid={row.kind === 'event' ? 'timeline-step' : 'timeline-status'}>
              <td class="small">{formatTime(row.at)}</td>
              <td>{row.service}</td>
              <td>{row.kind === 'status' ? <span class={`badge ${statusClass(row.what)}`}>{row.what}</span> : row.what}</td>
              <td class="mono small">{row.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <button type="button" data-testid="trace-toggle" disabled={!traceId} onClick={() => setShowTrace(!showTrace)}>
          {showTrace ? 'hide trace' : 'show trace'}
        </button>
        {!traceId && <span class="muted small"> no trace id yet</span>}
      </p>
      {showTrace && traceId && <TraceWaterfall traceId={traceId} />}
    </div>
  );
}

export function OrdersPage({ params }: PageProps) {
  const [input, setInput] = useState(params.get('id') ?? '');
  const [orderId, setOrderId] = useState(params.get('id') ?? '');
  const show = (id: string) => {
    setInput(id);
    setOrderId(id);
    setRouteParams('orders', id ? { id } : {});
  };
  useEffect(() => {
    const id = params.get('id');
    if (id && id !== orderId) show(id);
  }, [params.get('id')]);
  return (
    <section>
      <h2>Orders</h2>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          show(input.trim());
        }}
      >
        <input data-testid="order-search-input" class="wide" placeholder="order id" value={input} onInput={(event) => setInput((event.target as HTMLInputElement).value)} />
        <button type="submit" data-testid="order-search-button">
          show
        </button>
      </form>
      {orderId ? <OrderView key={orderId} orderId={orderId} /> : <p class="empty">Search an order by id, or place one below.</p>}
      <DemoOrderForm onPlaced={show} />
      <StuckOrders onShow={show} />
    </section>
  );
}

