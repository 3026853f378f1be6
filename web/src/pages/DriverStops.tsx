// A driver's own day: the ordered stops of their accepted routes (GET /drivers/{id}/stops)
// and their open loads, with the actions a driver may take (picked up, in transit, delivered).
import { useEffect, useState } from 'preact/hooks';
import { api, problemText, type Me, type Schemas, type Shipment, type ShipmentStatus } from '../api/client';
import { fmtDateTime, fmtTime, label } from '../ui/format';

const NEXT: Partial<Record<ShipmentStatus, ShipmentStatus>> = {
  assigned: 'picked_up',
  picked_up: 'in_transit',
  in_transit: 'delivered',
};

export function DriverStopsPage({ me }: { me: Me }) {
  const [stops, setStops] = useState<Schemas['DriverStop'][]>([]);
  const [loads, setLoads] = useState<Shipment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    if (me.driver_id == null) return setError('This login is not linked to a driver.');
    void api.GET('/api/v1/drivers/{id}/stops', { params: { path: { id: me.driver_id } } }).then((r) => {
      if (r.data) setStops(r.data);
      else setError(problemText(r.error, r.response));
    });
    void api
      .GET('/api/v1/shipments', { params: { query: { status: 'assigned,picked_up,in_transit', limit: 100 } } })
      .then((r) => setLoads(r.data?.data ?? []));
  }, [reload]);

  const byId = new Map(loads.map((s) => [s.id, s]));

  async function advance(s: Shipment) {
    const to = NEXT[s.status];
    if (!to) return;
    const r = await api.POST('/api/v1/shipments/{id}/transitions', { params: { path: { id: s.id } }, body: { to } });
    if (!r.data) setError(problemText(r.error, r.response));
    setReload((n) => n + 1);
  }

  return (
    <div class="page">
      <h2>My stops</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {stops.length === 0 ? (
        <p class="muted" data-testid="no-stops">No planned route. Loads assigned to you are listed below.</p>
      ) : (
        <ol class="stop-list" data-testid="stop-list">
          {stops.map((s) => {
            const load = s.shipment_id != null ? byId.get(s.shipment_id) : undefined;
            const stop = load ? (s.action === 'pickup' ? load.pickup : load.delivery) : null;
            // Inline stops have no load: the stop's own id and address are all there is.
            const what = s.shipment_id != null ? (load?.reference ?? `#${s.shipment_id}`) : s.stop_id;
            return (
              <li key={`${s.plan_id}-${s.seq}`}>
                <b>{fmtTime(s.planned_arrival)}</b> {s.action} · {what} · {s.address}
                {stop && <> <small>(window {fmtTime(stop.window.start)}–{fmtTime(stop.window.end)})</small></>}
              </li>
            );
          })}
        </ol>
      )}
      <h3>My loads</h3>
      <table class="grid" data-testid="driver-loads">
        <thead><tr><th>Reference</th><th>Status</th><th>Pickup</th><th>Delivery</th><th></th></tr></thead>
        <tbody>
          {loads.map((s) => (
            <tr key={s.id}>
              <td>{s.reference}</td>
              <td>{label(s.status)}</td>
              <td>{s.pickup.address}<br /><small>{fmtDateTime(s.pickup.window.start)}</small></td>
              <td>{s.delivery.address}<br /><small>{fmtDateTime(s.delivery.window.start)}</small></td>
              <td>{NEXT[s.status] && <button onClick={() => advance(s)}>Mark {label(NEXT[s.status]!)}</button>}</td>
            </tr>
          ))}
          {loads.length === 0 && <tr><td colSpan={5} class="muted">No open loads.</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
