import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adminKey, api, errorText, get, setAdminKey } from './api.ts';
import { DeadLettersPage } from './pages/DeadLetters.tsx';
import { DeliveriesPage } from './pages/Deliveries.tsx';
import { EventsPage } from './pages/Events.tsx';
import { LendingPage } from './pages/Lending.tsx';
import { OrdersPage } from './pages/Orders.tsx';
import { RegionsPage } from './pages/Regions.tsx';
import { ServicesPage } from './pages/Services.tsx';
import { StreamsPage } from './pages/Streams.tsx';

// Hash routes (#/services, #/orders?id=...): the gateway serves one
// index.html and the browser keeps the page in the fragment, so no router.
const PAGES = [
  { path: 'services', title: 'Services', Page: ServicesPage },
  { path: 'streams', title: 'Streams', Page: StreamsPage },
  { path: 'events', title: 'Events', Page: EventsPage },
  { path: 'orders', title: 'Orders', Page: OrdersPage },
  { path: 'dead-letters', title: 'Dead letters', Page: DeadLettersPage },
  { path: 'deliveries', title: 'Deliveries', Page: DeliveriesPage },
  { path: 'lending', title: 'Lending', Page: LendingPage },
  { path: 'regions', title: 'Regions', Page: RegionsPage },
] as const;

interface Route {
  path: string;
  params: URLSearchParams;
}

function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = hash.split('?');
  return { path: path || 'services', params: new URLSearchParams(query) };
}

interface AdminSession {
  adminKeyRequired: boolean;
  signedIn: boolean;
}

/**
 * The admin key (none in open mode): exchanged once for an httpOnly
 * cookie (POST /api/admin/session) that every view, the live ones over
 * EventSource included, then carries. The key is also kept for this tab only
 * and sent as x-api-key with admin actions.
 */
function AdminKey() {
  const [value, setValue] = useState(adminKey());
  const [session, setSession] = useState<AdminSession | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    get<AdminSession>('/api/admin/session').then(setSession, (error: unknown) => setProblem(errorText(error)));
  }, []);
  const signIn = async (key: string) => {
    setAdminKey(key);
    if (!key) return;
    try {
      setSession(await api<AdminSession>('POST', '/api/admin/session', { apiKey: key }));
      setProblem(null);
      location.reload(); // views that failed with 401 load again, now signed in
    } catch (error) {
      setProblem(errorText(error));
    }
  };
  const state = session === null ? '' : !session.adminKeyRequired ? 'open mode (no key)' : session.signedIn ? 'signed in' : 'key needed';
  return (
    <label class="admin-key" title="The admin key (npm start prints it once and keeps it in .data/admin-key): signs this browser in as operator">
      admin key
      <input
        type="password"
        data-testid="admin-key"
        value={value}
        placeholder="(none)"
        onInput={(event) => setValue((event.target as HTMLInputElement).value)}
        onChange={(event) => void signIn((event.target as HTMLInputElement).value)}
      />
      <span data-testid="admin-state" title={problem ?? ''}>{problem ? 'wrong key' : state}</span>
    </label>
  );
}

function App() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const page = PAGES.find((candidate) => candidate.path === route.path);
  return (
    <div class="layout">
      <header>
        <h1>Tributary</h1>
        <nav>
          {PAGES.map(({ path, title }) => (
            <a key={path} href={`#/${path}`} class={path === route.path ? 'active' : ''} data-testid={`nav-${path}`}>
              {title}
            </a>
          ))}
        </nav>
        <AdminKey />
      </header>
      <main data-testid={`page-${route.path}`}>
        {page ? (
          <page.Page params={route.params} />
        ) : (
          <p class="empty">
            No page <code>{route.path}</code>. <a href="#/services">Services</a>
          </p>
        )}
      </main>
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
