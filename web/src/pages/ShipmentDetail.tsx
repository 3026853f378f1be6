// One shipment: its stops, event history, tracking facts (ETA, lateness) and live position on
// a map, plus the actions the role allows: edit, cancel, assign driver + vehicle.
// A shipment the caller may not see answers 404 from the API, shown as "not found".
import { useEffect, useRef, useState } from 'preact/hooks';
import maplibregl from 'maplibre-gl';
import { api, problemText, type Me, type Schemas, type Shipment } from '../api/client';
import { createMap, fitTo } from '../map/basemap';
import { DriversLayer } from '../map/drivers';
import { etas, feed, positions, rememberStatuses } from '../live';
import { canDispatch } from '../session';
import { useSignal } from '../ui/signal';
import { fmtDateTime, fmtMoney, fmtKm, label } from '../ui/format';
import { AssignForm } from './AssignForm';

export function ShipmentDetailPage({ me, id }: { me: Me; id: number }) {
  const [s, setS] = useState<Shipment | null>(null);
  const [events, setEvents] = useState<Schemas['ShipmentEvent'][]>([]);
  const [tracking, setTracking] = useState<Schemas['ShipmentTracking'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [reload, setReload] = useState(0);
  useSignal(feed);

  useEffect(() => {
    void (async () => {
      const r = await api.GET('/api/v1/shipments/{id}', { params: { path: { id } } });
      if (r.response.status === 404) return setNotFound(true);
      if (!r.data) return setError(problemText(r.error, r.response));
      setS(r.data);
      const [ev, tr] = await Promise.all([
        api.GET('/api/v1/shipments/{id}/events', { params: { path: { id } } }),
        api.GET('/api/v1/shipments/{id}/tracking', { params: { path: { id } } }),
      ]);
      setEvents(ev.data ?? []);
      setTracking(tr.data ?? null);
    })();
  }, [id, reload]);

  if (notFound)
    return (
      <div class="page" data-testid="not-found">
        <h2>Shipment not found</h2>
        <p>It does not exist or is not visible to your account. <a href="/shipments">Back to shipments</a></p>
      </div>
    );
  if (!s) return <div class="page">{error ? <p class="error">{error}</p> : <p class="muted">Loading…</p>}</div>;

  const open = !['delivered', 'cancelled'].includes(s.status);
  const mayCancel = open && (canDispatch(me) || (me.role === 'customer' && ['draft', 'booked'].includes(s.status)));
  const live = etas.get(s.id);

  async function transition(to: Schemas['ShipmentStatus'], note: string) {
    const r = await api.POST('/api/v1/shipments/{id}/transitions', { params: { path: { id } }, body: { to, note } });
    if (!r.data) setError(problemText(r.error, r.response));
    setReload((n) => n + 1);
  }

  async function cancel() {
    if (confirm(`Cancel ${s!.reference}?`)) await transition('cancelled', 'cancelled from the dashboard');
  }

  return (
    <div class="page detail" data-testid="shipment-detail">
      <div class="page-head">
        <h2>
          {s.reference} <span class={`badge s-${s.status}`} data-testid="status">{label(s.status)}</span>
        </h2>
        <div class="actions">
          {s.status === 'draft' && (canDispatch(me) || me.role === 'customer') && (
            <button onClick={() => transition('booked', 'booked from the dashboard')}>Book</button>
          )}
          {canDispatch(me) && open && <a class="button" href={`/shipments/${id}/edit`}>Edit</a>}
          {mayCancel && <button class="danger" onClick={cancel}>Cancel shipment</button>}
        </div>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="cols">
        <div>
          <dl class="facts">
            <dt>Priority</dt><dd>{s.priority}</dd>
            <dt>Load</dt><dd>{s.weight_kg} kg · {s.volume_m3} m³ · {s.pallets} pallets</dd>
            <dt>Declared value</dt><dd>{fmtMoney(s.declared_value)}</dd>
            <dt>Driver</dt><dd data-testid="driver">{s.driver ? `${s.driver.name} (${label(s.driver.status)})` : '—'}</dd>
            <dt>Vehicle</dt><dd>{s.vehicle ? `${s.vehicle.plate} (${label(s.vehicle.vehicle_type)})` : '—'}</dd>
            <dt>Notes</dt><dd>{s.notes || '—'}</dd>
          </dl>
          <h3>Stops</h3>
          <table class="grid small">
            <thead><tr><th></th><th>Address</th><th>Window</th><th>Service</th><th>Arrived</th></tr></thead>
            <tbody>
              <tr><td>Pickup</td><td>{s.pickup.address}</td><td>{fmtDateTime(s.pickup.window.start)} – {fmtDateTime(s.pickup.window.end)}</td><td>{s.pickup.service_minutes} min</td><td>{fmtDateTime(tracking?.pickup_arrived_at)}</td></tr>
              <tr><td>Delivery</td><td>{s.delivery.address}</td><td>{fmtDateTime(s.delivery.window.start)} – {fmtDateTime(s.delivery.window.end)}</td><td>{s.delivery.service_minutes} min</td><td>{fmtDateTime(tracking?.delivery_arrived_at)}</td></tr>
            </tbody>
          </table>
          {(tracking?.eta_at || live) && (
            <p data-testid="tracking">
              Next stop <b>{live?.next_stop ?? tracking?.next_stop}</b>, ETA {fmtDateTime(live?.eta ?? tracking?.eta_at)} ({fmtKm(live?.distance_remaining_m ?? tracking?.distance_remaining_m)} to go){' '}
              {(live?.late ?? tracking?.late) ? <b class="late">late</b> : 'on time'}
            </p>
          )}
          {canDispatch(me) && ['booked', 'assigned'].includes(s.status) && (
            <AssignForm shipment={s} onDone={() => setReload((n) => n + 1)} />
          )}
          <h3>History</h3>
          <ol class="history" data-testid="history">
            {events.map((e) => (
              <li key={e.id}>
                {fmtDateTime(e.at)} — {e.from_status ? `${label(e.from_status)} → ` : ''}<b>{label(e.to_status)}</b>
                {e.note && <> · {e.note}</>} <small class="muted">{e.actor}</small>
              </li>
            ))}
          </ol>
        </div>
        <ShipmentMap s={s} />
      </div>
    </div>
  );
}

/** Pickup, delivery and (while the load is moving) its driver's live position. */
function ShipmentMap({ s }: { s: Shipment }) {
  const el = useRef<HTMLDivElement>(null);
  const [layer, setLayer] = useState<DriversLayer | null>(null);
  useEffect(() => {
    let gone = false;
    let l: DriversLayer | null = null;
    let made: maplibregl.Map | null = null;
    void createMap(el.current!, 10).then((m) => {
      made = m;
      if (gone) return m.remove();
      for (const [stop, cls, text] of [[s.pickup, 'pin pickup', 'P'], [s.delivery, 'pin delivery', 'D']] as const) {
        const div = document.createElement('div');
        div.className = cls;
        div.textContent = text;
        new maplibregl.Marker({ element: div }).setLngLat([stop.lon, stop.lat]).addTo(m);
      }
      const here = s.driver ? positions.get(s.driver.id) : undefined;
      fitTo(m, [[s.pickup.lon, s.pickup.lat], [s.delivery.lon, s.delivery.lat], ...(here ? [[here.lon, here.lat] as [number, number]] : [])]);
      l = new DriversLayer(m, el.current!);
      l.setFilter(() => false); // until the effect below names the driver
      setLayer(l);
    });
    return () => {
      gone = true;
      l?.destroy();
      made?.remove();
    };
  }, [s.id]);

  // Only the assigned driver, kept current when the assignment changes.
  useEffect(() => {
    if (!layer) return;
    const d = s.driver;
    layer.setFilter((id) => id === d?.id);
    if (d) rememberStatuses([d]);
  }, [layer, s.driver?.id]);

  return <div class="map small-map" ref={el} data-testid="shipment-map" />;
}
