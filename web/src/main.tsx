// Entry point: picks the page for the current path and the logged-in role. Staff land on the
// live map, customers on their shipments, drivers on their stop list.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import './styles.css';
import { match, navigate, path } from './router';
import { canDispatch, current } from './session';
import { startLive, stopLive } from './live';
import { useSignal } from './ui/signal';
import { Layout } from './ui/Layout';
import { LoginPage } from './pages/Login';
import { LiveMapPage } from './pages/LiveMap';
import { ShipmentsPage } from './pages/Shipments';
import { ShipmentDetailPage } from './pages/ShipmentDetail';
import { ShipmentFormPage } from './pages/ShipmentForm';
import { PlannerPage } from './pages/Planner';
import { DriverStopsPage } from './pages/DriverStops';
import type { Me } from './api/client';

function home(me: Me): string {
  if (me.role === 'customer') return '/shipments';
  if (me.role === 'driver') return '/stops';
  return '/map';
}

/** Pages each role may open (the API enforces the same; this only keeps menus honest). */
function allowed(pathname: string, me: Me): boolean {
  if (me.role === 'driver') return pathname === '/stops';
  if (pathname === '/stops') return false;
  if (pathname === '/planner' || pathname.endsWith('/edit')) return canDispatch(me);
  if (pathname === '/shipments/new') return canDispatch(me) || me.role === 'customer';
  return true;
}

function page(p: string, me: Me) {
  const pathname = p.split('?')[0];
  if (!allowed(pathname, me)) return undefined;
  let m: Record<string, string> | null;
  if (pathname === '/map') return <LiveMapPage me={me} />;
  if (pathname === '/shipments') return <ShipmentsPage me={me} />;
  if (pathname === '/shipments/new') return <ShipmentFormPage me={me} />;
  if ((m = match('/shipments/:id/edit', pathname))) return <ShipmentFormPage me={me} id={Number(m.id)} />;
  if ((m = match('/shipments/:id', pathname))) return <ShipmentDetailPage me={me} id={Number(m.id)} />;
  if (pathname === '/planner') return <PlannerPage me={me} />;
  if (pathname === '/stops') return <DriverStopsPage me={me} />;
  return null;
}

function App() {
  const p = useSignal(path);
  const s = useSignal(current);
  const pathname = p.split('?')[0];

  useEffect(() => {
    if (s) startLive();
    else stopLive();
  }, [s?.email]);

  useEffect(() => {
    if (!s && pathname !== '/login') navigate(`/login?next=${encodeURIComponent(p)}`, true);
    else if (s && page(p, s.me) === undefined && pathname !== '/login') navigate(home(s.me), true);
    else if (s && (pathname === '/login' || pathname === '/')) {
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('/login') ? next : home(s.me), true);
    }
  }, [p, s]);

  if (!s || pathname === '/login') return <LoginPage />;
  const body = page(p, s.me);
  return <Layout me={s.me} email={s.email}>{body ?? <p class="empty">Page not found.</p>}</Layout>;
}

render(<App />, document.getElementById('app')!);
