// The dispatch map: every visible driver moving live (coloured by status, recoloured when a
// `driver_status` event arrives), geofences, a side feed of geofence / arrival / late /
// status events, and a driver panel one click away. Customers get the same page restricted
// by the server to the drivers carrying their active shipments.
import { useEffect, useRef, useState } from 'preact/hooks';
import type maplibregl from 'maplibre-gl';
import { allPages, api, type Me, type Shipment } from '../api/client';
import { createMap, STATUS_COLORS } from '../map/basemap';
import { DriversLayer } from '../map/drivers';
import { addGeofences, geofenceNames } from '../map/geofences';
import { feed, onPositions, onStatuses, positions, rememberStatuses, statuses, type FeedItem } from '../live';
import { isStaff } from '../session';
import { useSignal } from '../ui/signal';
import { DriverPanel } from './DriverPanel';
import { fmtTime, label } from '../ui/format';

export function LiveMapPage({ me }: { me: Me }) {
  const el = useRef<HTMLDivElement>(null);
  const layer = useRef<DriversLayer | null>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const [names, setNames] = useState(new Map<number, string>());
  const [, setStatusTick] = useState(0);
  const [shipments, setShipments] = useState<Shipment[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [count, setCount] = useState(0);
  const events = useSignal(feed);

  useEffect(() => {
    let gone = false;
    let l: DriversLayer | null = null;
    let made: maplibregl.Map | null = null;
    void createMap(el.current!).then((m) => {
      made = m;
      if (gone) return m.remove();
      performance.mark('freight:map-load');
      void addGeofences(m).catch((e) => console.warn('geofences:', e));
      l = new DriversLayer(m, el.current!);
      l.onFlush = () => setCount(Number(el.current?.dataset.drivers ?? 0));
      layer.current = l;
      m.on('click', 'drivers', (e) => {
        const id = e.features?.[0]?.properties?.id;
        if (typeof id === 'number') setSelected(id);
      });
      m.on('mouseenter', 'drivers', () => (m.getCanvas().style.cursor = 'pointer'));
      m.on('mouseleave', 'drivers', () => (m.getCanvas().style.cursor = ''));
      el.current!.dataset.mapLoaded = 'true';
      setMap(m);
    });
    return () => {
      gone = true;
      l?.destroy();
      layer.current = null;
      made?.remove();
    };
  }, []);

  // Names and statuses: staff read the driver list (and look up drivers that appear later);
  // customers learn them from their shipments. Both are read again on every snapshot of the
  // live feed: status changes made while it was disconnected are not replayed.
  useEffect(() => {
    let gone = false;
    let known = new Map<number, string>();
    const publish = (m: Map<number, string>) => !gone && setNames((known = new Map(m)));
    const loadAll = async () => {
      const drivers = await allPages((cursor) =>
        api.GET('/api/v1/drivers', { params: { query: { limit: 200, cursor } } }).then((r) => r.data),
      );
      if (gone) return;
      rememberStatuses(drivers);
      publish(new Map(drivers.map((d) => [d.id, d.name])));
    };
    const loadShipments = async () => {
      const { data } = await api.GET('/api/v1/shipments', { params: { query: { status: 'assigned,picked_up,in_transit', limit: 200 } } });
      if (gone) return;
      const list = data?.data ?? [];
      setShipments(list);
      const drivers = list.flatMap((s) => (s.driver ? [s.driver] : []));
      rememberStatuses(drivers);
      publish(new Map(drivers.map((d) => [d.id, d.name])));
    };
    const load = isStaff(me) ? loadAll : loadShipments;
    let loaded = load();
    let pending = new Set<number>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const lookUp = async () => {
      await loaded;
      const ids = [...pending].filter((id) => !known.has(id));
      pending = new Set();
      if (ids.length > 20) return loadAll();
      const found = await Promise.all(ids.map((id) => api.GET('/api/v1/drivers/{id}', { params: { path: { id } } })));
      const drivers = found.flatMap((r) => (r.data ? [r.data] : []));
      rememberStatuses(drivers);
      const m = new Map(known);
      for (const d of drivers) m.set(d.id, d.name);
      publish(m);
    };
    const offPositions = onPositions((changed, snapshot) => {
      if (snapshot) return void (loaded = load());
      if (!isStaff(me)) return;
      for (const p of changed) if (!known.has(p.driver_id)) pending.add(p.driver_id);
      if (pending.size && !timer) timer = setTimeout(() => ((timer = undefined), void lookUp()), 300);
    });
    const offStatuses = onStatuses(() => !gone && setStatusTick((n) => n + 1));
    return () => {
      gone = true;
      offPositions();
      offStatuses();
      clearTimeout(timer);
    };
  }, [me.role]);

  useEffect(() => layer.current?.select(selected), [selected, map]);

  const counts: Record<string, number> = {};
  for (const id of positions.keys()) {
    const s = statuses.get(id) ?? 'unknown';
    counts[s] = (counts[s] ?? 0) + 1;
  }

  return (
    <div class="map-page">
      <div class="map" ref={el} data-testid="live-map" />
      <aside class="side">
        <div class="legend" data-testid="legend">
          <b data-testid="driver-count">{count}</b> drivers on the map
          <div>
            {Object.entries(STATUS_COLORS).map(([s, c]) =>
              counts[s] ? (
                <span class="chip" key={s}>
                  <i style={{ background: c }} /> {s.replace('_', ' ')} {counts[s]}
                </span>
              ) : null,
            )}
          </div>
        </div>
        {selected !== null && map && (
          <DriverPanel
            key={selected}
            me={me}
            map={map}
            driverId={selected}
            name={names.get(selected)}
            customerShipments={shipments}
            onClose={() => setSelected(null)}
          />
        )}
        <h3>Events</h3>
        <ul class="feed" data-testid="event-feed">
          {events.length === 0 && <li class="muted">Geofence, arrival, late and status events appear here as they happen.</li>}
          {events.slice(0, 60).map((e, i) => (
            <li key={`${e.received}-${i}`} class={`ev ev-${e.type}`} data-driver={e.driver_id} onClick={() => setSelected(e.driver_id)}>
              <span class="t">{fmtTime(e.type === 'late' ? new Date(e.received).toISOString() : e.at)}</span>{' '}
              <FeedText e={e} name={names.get(e.driver_id) ?? `driver ${e.driver_id}`} />
            </li>
          ))}
        </ul>
      </aside>
    </div>
  );
}

/** One line of the side feed. */
function FeedText({ e, name }: { e: FeedItem; name: string }) {
  if (e.type === 'driver_status') {
    return (
      <>
        <b>STATUS</b> {name}: <i class="dot" style={{ background: STATUS_COLORS[e.status] }} /> {label(e.status)}
        {e.previous && e.previous !== e.status && <small> (was {label(e.previous)})</small>}
      </>
    );
  }
  return (
    <>
      <b>{e.type === 'late' ? 'LATE' : label(e.kind)}</b> {name}
      {e.type === 'geofence' && e.geofence_id != null && <> @ {geofenceNames.get(e.geofence_id) ?? `geofence ${e.geofence_id}`}</>}
      {e.shipment_id ? <> · <a href={`/shipments/${e.shipment_id}`}>#{e.shipment_id}</a></> : null}
    </>
  );
}
