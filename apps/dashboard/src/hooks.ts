import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api.ts';

export interface Polled<T> {
  data: T | null;
  error: string | null;
  /** Fetch now, outside the interval (after an action, say). */
  refresh: () => void;
}

/**
 * Calls `load` now and every `intervalMs` while the page is shown. A slow
 * answer never overlaps the next poll: the next one is scheduled after it.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[] = []): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const tick = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      clearTimeout(timer);
      try {
        const value = await loadRef.current();
        if (stopped) return;
        setData(value);
        setError(null);
      } catch (caught) {
        if (!stopped) setError(errorText(caught));
      }
      if (!stopped) timer = setTimeout(run, intervalMs);
    };
    tick.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalMs, ...deps]);

  const refresh = useCallback(() => tick.current(), []);
  return { data, error, refresh };
}

export type LiveState = 'connecting' | 'open' | 'closed';

/**
 * A Server-Sent Events subscription for as long as the component is mounted
 * (or until `url` changes). EventSource reconnects by itself after a drop.
 */
export function useEventSource<T>(url: string | null, event: string, onMessage: (message: T) => void): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    if (url === null) return;
    setState('connecting');
    const source = new EventSource(url);
    source.onopen = () => setState('open');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    source.addEventListener(event, (message) => {
      try {
        handler.current(JSON.parse((message as MessageEvent<string>).data) as T);
      } catch {
        // A message we cannot parse is skipped: the next one is as good.
      }
    });
    return () => source.close();
  }, [url, event]);
  return state;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString(undefined, { hour12: false }) + `.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** What the shell gives every page: the query part of the hash route (#/orders?id=...). */
export interface PageProps {
  params: URLSearchParams;
}

/** Replace the query of the current hash route without adding a history entry per keystroke. */
export function setRouteParams(path: string, params: Record<string, string>): void {
  const query = new URLSearchParams(params).toString();
  history.replaceState(null, '', `#/${path}${query ? `?${query}` : ''}`);
}
