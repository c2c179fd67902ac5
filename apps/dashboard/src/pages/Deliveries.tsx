import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText, get, type Delivery, type DeliveryHistory, type DroneList, type DronePosition, type DroneQueue, type Point } from '../api.ts';
import { formatTime, useEventSource, usePoll, setRouteParams, type PageProps } from '../hooks.ts';

interface Drone {
  droneId: string;
  deliveryId: string;
  status: string;
  position: Point;
  batteryPct: number | null;
  seenAt: number;
  trail: Point[];
}

const WIDTH = 760;
const HEIGHT = 440;
const TRAIL = 40;
/** A drone not heard of for this long has landed or left: it leaves the map. */
const FORGET_MS = 60_000;

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5_400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3_600).toFixed(1)} h`;
}

function DroneMap({ drones }: { drones: Drone[] }) {
  const points = drones.flatMap((drone) => [drone.position, ...drone.trail]);
  if (points.length === 0) {
    return (
      <div class="map empty-map" data-testid="drone-map">
        No drones in flight. Place an order on the Orders page to send one.
      </div>
    );
  }
  // Equirectangular projection around the drones, longitude scaled by cos(latitude):
  // true enough for a city, and no map library.
  const lats = points.map((point) => point.lat);
  const lons = points.map((point) => point.lon);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const scaleLon = Math.cos((midLat * Math.PI) / 180);
  const spanLat = Math.max(0.01, Math.max(...lats) - Math.min(...lats));
  const spanLon = Math.max(0.01, (Math.max(...lons) - Math.min(...lons)) * scaleLon);
  const scale = Math.min((WIDTH - 80) / spanLon, (HEIGHT - 80) / spanLat);
  const midLon = (Math.min(...lons) + Math.max(...lons)) / 2;
  const x = (point: Point) => WIDTH / 2 + (point.lon - midLon) * scaleLon * scale;
  const y = (point: Point) => HEIGHT / 2 - (point.lat - midLat) * scale;
  const kmPerPixel = 111 / scale;
  return (
    <svg class="map" data-testid="drone-map" width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`}>
      <rect x="0" y="0" width={WIDTH} height={HEIGHT} class="map-bg" />
      {drones.map((drone) => (
        <g key={drone.droneId} data-testid={`drone-${drone.droneId}`} class={`drone ${drone.status.toLowerCase()}`}>
          {drone.trail.length > 1 && <polyline class="trail" points={drone.trail.map((point) => `${x(point).toFixed(1)},${y(point).toFixed(1)}`).join(' ')} />}
          <circle cx={x(drone.position)} cy={y(drone.position)} r="6" />
          <text x={x(drone.position) + 9} y={y(drone.position) + 4}>
            {drone.droneId} {drone.batteryPct === null ? '' : `${Math.round(drone.batteryPct)}%`}
          </text>
          <title>{`${drone.droneId}: delivery ${drone.deliveryId}, ${drone.status}`}</title>
        </g>
      ))}
      <text x="10" y={HEIGHT - 10} class="scale">{`100 px ≈ ${(kmPerPixel * 100).toFixed(2)} km`}</text>
    </svg>
  );
}

function DeliveryLookup({ deliveryId }: { deliveryId: string }) {
  const [live, setLive] = useState<Delivery | null>(null);
  const [past, setPast] = useState<DeliveryHistory | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    setLive(null);
    setPast(null);
    setError(null);
    const id = encodeURIComponent(deliveryId);
    // The live record (delivery) and the finished one (delivery-history): either may be missing.
    void Promise.allSettled([get<Delivery>(`/api/deliveries/${id}`), get<DeliveryHistory>(`/api/deliveries/${id}/history`)]).then(([current, finished]) => {
      if (stopped) return;
      if (current.status === 'fulfilled') setLive(current.value);
      if (finished.status === 'fulfilled') setPast(finished.value);
      if (current.status === 'rejected' && finished.status === 'rejected') {
        const reason = current.reason as unknown;
        setError(reason instanceof ApiError && reason.status === 404 ? `No delivery ${deliveryId}` : errorText(reason));
      }
    });
    return () => {
      stopped = true;
    };
  }, [deliveryId]);
  if (error) return <p class="error">{error}</p>;
  const steps = past?.steps ?? live?.steps ?? [];
  const status = live?.status ?? past?.status;
  if (!status) return <p class="muted">loading…</p>;
  return (
    <div class="card" data-testid="delivery-view">
      <h3>
        Delivery <span class="mono">{deliveryId}</span> <span class="badge" data-testid="delivery-status">{status}</span>
      </h3>
      {live && (
        <p class="muted small">
          order <a href={`#/orders?id=${live.orderId}`}>{live.orderId}</a>, drone {live.droneId ?? '–'}
          {live.etaSeconds !== null ? `, eta ${Math.round(live.etaSeconds)} s` : ''}
          {live.reason ? `, ${live.reason}` : ''}
        </p>
      )}
      {past && (
        <p class="muted small">
          finished {formatTime(past.finishedAt)} after {past.durationSeconds.toFixed(1)} s (from the {past.source})
        </p>
      )}
      <ol class="steps">
        {steps.map((step) => (
          <li key={step.status + step.at} data-testid="delivery-step">
            <b>{step.status}</b> <span class="muted small">{formatTime(step.at)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

export function DeliveriesPage({ params }: PageProps) {
  const [drones, setDrones] = useState<Map<string, Drone>>(new Map());
  const [input, setInput] = useState(params.get('id') ?? '');
  const [deliveryId, setDeliveryId] = useState(params.get('id') ?? '');
  const [now, setNow] = useState(Date.now());

  const update = (droneId: string, deliveryIdOf: string, position: Point, status: string | null, batteryPct: number | null) =>
    setDrones((current) => {
      const next = new Map(current);
      const before = current.get(droneId);
      next.set(droneId, {
        droneId,
        deliveryId: deliveryIdOf,
        status: status ?? before?.status ?? 'IN_FLIGHT',
        position,
        batteryPct: batteryPct ?? before?.batteryPct ?? null,
        seenAt: Date.now(),
        trail: [...(before?.trail ?? []), position].slice(-TRAIL),
      });
      return next;
    });

  // The live stream moves the drones; the list catches those whose positions we missed. It needs a
  // centre (delivery's GET /drones requires lat and lon), so it searches around the drones already seen.
  const known = useRef(drones);
  known.current = drones;
  usePoll(async () => {
    const seen = [...known.current.values()];
    if (seen.length === 0) return null;
    const lat = seen.reduce((sum, drone) => sum + drone.position.lat, 0) / seen.length;
    const lon = seen.reduce((sum, drone) => sum + drone.position.lon, 0) / seen.length;
    const list = await get<DroneList>(`/api/drones?lat=${lat.toFixed(5)}&lon=${lon.toFixed(5)}&radiusKm=100`);
    for (const drone of list.items) update(drone.droneId, drone.deliveryId, drone.position, null, null);
    return list;
  }, 10_000);
  const state = useEventSource<DronePosition>('/api/deliveries/live', 'position', (message) =>
    update(message.droneId, message.deliveryId, message.position, message.status, message.batteryPct),
  );
  const queue = usePoll(() => get<DroneQueue>('/api/deliveries/queue'), 5_000);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(timer);
  }, []);
  const visible = [...drones.values()].filter((drone) => now - drone.seenAt < FORGET_MS);

  return (
    <section>
      <h2>Deliveries</h2>
      <div class="toolbar">
        <span class={`badge ${state === 'open' ? 'up' : 'down'}`} data-testid="positions-state">
          live positions: {state}
        </span>
        <span class="muted small" data-testid="drone-count">
          {visible.length} drone{visible.length === 1 ? '' : 's'} on the map
        </span>
        {queue.data && (
          <span class="muted small" data-testid="drone-queue" title={`a delivery waiting longer than ${formatSeconds(queue.data.waitLimitSeconds)} fails with NO_DRONE_AVAILABLE`}>
            queue: <span data-testid="drone-queue-waiting">{queue.data.waiting}</span> waiting for a drone
            {queue.data.oldestWaitSeconds !== null && `, oldest for ${formatSeconds(queue.data.oldestWaitSeconds)}`}
          </span>
        )}
      </div>
      <DroneMap drones={visible} />
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          const id = input.trim();
          setDeliveryId(id);
          setRouteParams('deliveries', id ? { id } : {});
        }}
      >
        <input data-testid="delivery-search-input" class="wide" placeholder="delivery id" value={input} onInput={(event) => setInput((event.target as HTMLInputElement).value)} />
        <button type="submit" data-testid="delivery-search-button">
          show
        </button>
      </form>
      {deliveryId && <DeliveryLookup key={deliveryId} deliveryId={deliveryId} />}
      {visible.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>drone</th>
              <th>delivery</th>
              <th>status</th>
              <th>battery</th>
              <th>position</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((drone) => (
              <tr key={drone.droneId}>
                <td>{drone.droneId}</td>
                <td class="mono small">
                  <a
                    href={`#/deliveries?id=${drone.deliveryId}`}
                    onClick={() => {
                      setInput(drone.deliveryId);
                      setDeliveryId(drone.deliveryId);
                    }}
                  >
                    {drone.deliveryId}
                  </a>
                </td>
                <td>{drone.status}</td>
                <td>{drone.batteryPct === null ? '–' : `${Math.round(drone.batteryPct)}%`}</td>
                <td class="mono small">
                  {drone.position.lat.toFixed(5)}, {drone.position.lon.toFixed(5)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
