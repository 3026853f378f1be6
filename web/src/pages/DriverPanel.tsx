// What a dispatcher sees after clicking a driver: current shipment, next stop, ETA and
// lateness (from the shipment's tracking facts, then kept fresh by live ETA events), the
// accepted route's stop list, and the driver's track over the last hours drawn on the map.
import { useEffect, useState } from 'preact/hooks';
import type maplibregl from 'maplibre-gl';
import type { GeoJSONSource } from 'maplibre-gl';
import { api, type Me, type Schemas, type Shipment } from '../api/client';
import { etas, feed, positions, statuses } from '../live';
import { isStaff } from '../session';
import { useSignal } from '../ui/signal';
import { fmtDateTime, fmtKm, fmtTime, label } from '../ui/format';

const TRACK_HOURS = 4;

function drawTrack(map: maplibregl.Map, data: GeoJSON.FeatureCollection) {
  const src = map.getSource('track') as GeoJSONSource | undefined;
  if (src) return src.setData(data);
  map.addSource('track', { type: 'geojson', data });
  map.addLayer(
    { id: 'track', type: 'line', source: 'track', paint: { 'line-color': '#111827', 'line-width': 3, 'line-opacity': 0.7 } },
    map.getLayer('drivers') ? 'drivers' : undefined,
  );
}

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

export function DriverPanel(props: {
  me: Me;
  map: maplibregl.Map;
  driverId: number;
  name?: string;
  customerShipments: Shipment[];
  onClose: () => void;
}) {
  const { me, map, driverId, name } = props;
  const [shipment, setShipment] = useState<Shipment | null>(null);
  const [tracking, setTracking] = useState<Schemas['ShipmentTracking'] | null>(null);
  const [stops, setStops] = useState<Schemas['DriverStop'][]>([]);
  const [trackInfo, setTrackInfo] = useState('');
  useSignal(feed); // re-render on live events so the ETA and status below stay current
  const status = statuses.get(driverId) ?? 'unknown';
  const pos = positions.get(driverId);

  useEffect(() => {
    let gone = false;
    void (async () => {
      let current: Shipment | undefined;
      if (isStaff(me)) {
        const { data } = await api.GET('/api/v1/shipments', {
          params: { query: { driver_id: driverId, status: 'picked_up,in_transit,assigned', limit: 10 } },
        });
        const list = data?.data ?? [];
        current = list.find((s) => s.status !== 'assigned') ?? list[0];
        const st = await api.GET('/api/v1/drivers/{id}/stops', { params: { path: { id: driverId } } });
        if (!gone) setStops(st.data ?? []);
      } else {
        current = props.customerShipments.find((s) => s.driver?.id === driverId);
      }
      if (gone) return;
      setShipment(current ?? null);
      if (current) {
        const t = await api.GET('/api/v1/shipments/{id}/tracking', { params: { path: { id: current.id } } });
        if (!gone) setTracking(t.data ?? null);
      }
    })();
    const to = new Date();
    const from = new Date(to.getTime() - TRACK_HOURS * 3600_000);
    void api
      .GET('/api/v1/drivers/{id}/track', {
        params: { path: { id: driverId }, query: { from: from.toISOString(), to: to.toISOString(), format: 'geojson', simplify_m: 10 } },
      })
      .then(({ data }) => {
        // The document describes both bodies (JSON `Track`, GeoJSON `TrackGeoJson`); we asked for GeoJSON.
        if (gone || !data || !('features' in data)) return;
        drawTrack(map, data);
        const line = data.features.find((f) => f.geometry.type === 'LineString');
        const total = line && 'total_fixes' in line.properties ? line.properties.total_fixes : 0;
        setTrackInfo(`${total} fixes in the last ${TRACK_HOURS} h`);
      });
    return () => {
      gone = true;
      try {
        drawTrack(map, EMPTY);
      } catch {
        /* the map is already gone */
      }
    };
  }, [driverId]);

  const live = shipment ? etas.get(shipment.id) : undefined;
  const nextStop = live?.next_stop ?? tracking?.next_stop;
  const eta = live?.eta ?? tracking?.eta_at;
  const late = live?.late ?? tracking?.late;
  const remaining = live?.distance_remaining_m ?? tracking?.distance_remaining_m;
  const upcoming = stops.filter((s) => Date.parse(s.planned_arrival) >= Date.now() - 3600_000);

  return (
    <section class="panel" data-testid="driver-panel">
      <header>
        <h3>{name ?? `Driver ${driverId}`}</h3>
        <button class="link" onClick={props.onClose} aria-label="close">✕</button>
      </header>
      <p>
        <span class={`badge st-${status}`} data-testid="driver-status">{label(status)}</span>
        {pos && <> · last fix {fmtTime(pos.timestamp)}{pos.speed != null && <> · {(pos.speed * 3.6).toFixed(0)} km/h</>}</>}
      </p>
      {shipment ? (
        <dl>
          <dt>Shipment</dt>
          <dd><a href={`/shipments/${shipment.id}`}>{shipment.reference}</a> · {label(shipment.status)}</dd>
          <dt>Next stop</dt>
          <dd>{nextStop ? `${nextStop}: ${nextStop === 'pickup' ? shipment.pickup.address : shipment.delivery.address}` : '—'}</dd>
          <dt>ETA</dt>
          <dd data-testid="eta">{fmtDateTime(eta)} {remaining != null && <>({fmtKm(remaining)} to go)</>}</dd>
          <dt>Lateness</dt>
          <dd>{late ? <b class="late">late for the delivery window (ends {fmtTime(shipment.delivery.window.end)})</b> : eta ? 'on time' : '—'}</dd>
        </dl>
      ) : (
        <p class="muted">No shipment under way.</p>
      )}
      {upcoming.length > 0 && (
        <>
          <h4>Planned stops</h4>
          <ol class="stops">
            {upcoming.slice(0, 8).map((s) => (
              <li key={`${s.plan_id}-${s.seq}`}>
                {fmtTime(s.planned_arrival)} {s.action}{' '}
                {s.shipment_id != null ? <a href={`/shipments/${s.shipment_id}`}>#{s.shipment_id}</a> : <>{s.stop_id} · {s.address}</>}
              </li>
            ))}
          </ol>
        </>
      )}
      <p class="muted">{trackInfo || 'Loading track…'}</p>
    </section>
  );
}
