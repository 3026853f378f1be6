// The shipments board: text search and filters (status, customer, driver, created date) kept
// in the URL so a view can be shared or reloaded, and cursor pagination (the API's opaque
// `next_cursor`; earlier cursors are remembered for "Previous").
import { useEffect, useState } from 'preact/hooks';
import { allPages, api, problemText, type Me, type Shipment } from '../api/client';
import { navigate, path, query } from '../router';
import { canDispatch, isStaff } from '../session';
import { useSignal } from '../ui/signal';
import { fmtDateTime, label } from '../ui/format';

const STATUSES = ['draft', 'booked', 'assigned', 'picked_up', 'in_transit', 'delivered', 'cancelled', 'exception'];
const FILTERS = ['q', 'status', 'customer_id', 'driver_id', 'from', 'to'] as const;

export function ShipmentsPage({ me }: { me: Me }) {
  useSignal(path);
  const qs = query();
  const f = Object.fromEntries(FILTERS.map((k) => [k, qs.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const [rows, setRows] = useState<Shipment[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [customers, setCustomers] = useState(new Map<number, string>());
  const [drivers, setDrivers] = useState(new Map<number, string>());
  const [text, setText] = useState(f.q);
  const cursor = cursors[cursors.length - 1];
  const key = FILTERS.map((k) => f[k]).join('|');

  useEffect(() => {
    void allPages((c) => api.GET('/api/v1/customers', { params: { query: { limit: 200, cursor: c } } }).then((r) => r.data)).then(
      (list) => setCustomers(new Map(list.map((c) => [c.id, c.name]))),
    );
    if (isStaff(me))
      void allPages((c) => api.GET('/api/v1/drivers', { params: { query: { limit: 200, cursor: c } } }).then((r) => r.data)).then(
        (list) => setDrivers(new Map(list.map((d) => [d.id, d.name]))),
      );
  }, []);

  useEffect(() => setCursors([undefined]), [key]);

  useEffect(() => {
    let gone = false;
    setLoading(true);
    void api
      .GET('/api/v1/shipments', {
        params: {
          query: {
            q: f.q || undefined,
            status: f.status || undefined,
            customer_id: f.customer_id ? Number(f.customer_id) : undefined,
            driver_id: f.driver_id ? Number(f.driver_id) : undefined,
            created_from: f.from ? new Date(`${f.from}T00:00:00`).toISOString() : undefined,
            created_to: f.to ? new Date(new Date(`${f.to}T00:00:00`).getTime() + 86_400_000).toISOString() : undefined,
            limit: 25,
            cursor,
          },
        },
      })
      .then(({ data, error, response }) => {
        if (gone) return;
        setLoading(false);
        if (!data) return setError(problemText(error, response));
        setError(null);
        setRows(data.data);
        setNext(data.next_cursor ?? null);
      });
    return () => {
      gone = true;
    };
  }, [key, cursor]);

  function setFilter(k: string, v: string) {
    const p = query();
    if (v) p.set(k, v);
    else p.delete(k);
    const s = p.toString();
    navigate(`/shipments${s ? `?${s}` : ''}`, true);
  }

  return (
    <div class="page">
      <div class="page-head">
        <h2>Shipments</h2>
        {(canDispatch(me) || me.role === 'customer') && (
          <a class="button" href="/shipments/new" data-testid="new-shipment">New shipment</a>
        )}
      </div>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); setFilter('q', text.trim()); }}>
        <input type="search" placeholder="Search reference or notes" value={text} onInput={(e) => setText(e.currentTarget.value)} name="q" />
        <select value={f.status} onChange={(e) => setFilter('status', e.currentTarget.value)} name="status" aria-label="status">
          <option value="">Any status</option>
          <option value="booked,assigned,picked_up,in_transit">Open</option>
          {STATUSES.map((s) => <option value={s} key={s}>{label(s)}</option>)}
        </select>
        {isStaff(me) && (
          <select value={f.customer_id} onChange={(e) => setFilter('customer_id', e.currentTarget.value)} name="customer_id" aria-label="customer">
            <option value="">Any customer</option>
            {[...customers].map(([id, n]) => <option value={id} key={id}>{n}</option>)}
          </select>
        )}
        {isStaff(me) && (
          <select value={f.driver_id} onChange={(e) => setFilter('driver_id', e.currentTarget.value)} name="driver_id" aria-label="driver">
            <option value="">Any driver</option>
            {[...drivers].map(([id, n]) => <option value={id} key={id}>{n}</option>)}
          </select>
        )}
        <label class="inline">Created from <input type="date" value={f.from} onChange={(e) => setFilter('from', e.currentTarget.value)} /></label>
        <label class="inline">to <input type="date" value={f.to} onChange={(e) => setFilter('to', e.currentTarget.value)} /></label>
        <button type="submit">Search</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <table class="grid" data-testid="shipments-table" aria-busy={loading}>
        <thead>
          <tr><th>Reference</th><th>Status</th><th>Priority</th><th>Customer</th><th>Pickup</th><th>Delivery</th><th>Driver</th><th>Vehicle</th></tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.id} data-id={s.id} data-status={s.status}>
              <td><a href={`/shipments/${s.id}`}>{s.reference}</a></td>
              <td><span class={`badge s-${s.status}`}>{label(s.status)}</span></td>
              <td>{s.priority}</td>
              <td>{customers.get(s.customer_id) ?? `#${s.customer_id}`}</td>
              <td>{s.pickup.address}<br /><small>{fmtDateTime(s.pickup.window.start)}</small></td>
              <td>{s.delivery.address}<br /><small>{fmtDateTime(s.delivery.window.start)}</small></td>
              <td class="driver">{s.driver?.name ?? '—'}</td>
              <td>{s.vehicle?.plate ?? '—'}</td>
            </tr>
          ))}
          {!loading && rows.length === 0 && <tr><td colSpan={8} class="muted">No shipments match.</td></tr>}
        </tbody>
      </table>
      <div class="pager">
        <button disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>Previous</button>
        <span>Page {cursors.length}</span>
        <button disabled={!next} onClick={() => next && setCursors([...cursors, next])} data-testid="next-page">Next</button>
      </div>
    </div>
  );
}
