// The proposed routes on the map: one coloured line per driver through its stops in order,
// and a numbered marker per stop (a handful of DOM markers is fine; drivers use a layer).
import { useEffect, useRef, useState } from 'preact/hooks';
import maplibregl, { type GeoJSONSource } from 'maplibre-gl';
import type { Schemas } from '../api/client';
import { createMap, fitTo, ROUTE_COLORS } from '../map/basemap';

export function PlanMap({ plan }: { plan: Schemas['PlanResult'] | null }) {
  const el = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);

  useEffect(() => {
    let made: maplibregl.Map | null = null;
    let gone = false;
    void createMap(el.current!, 10).then((m) => {
      made = m;
      if (gone) return m.remove();
      m.addSource('routes', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      m.addLayer({ id: 'routes', type: 'line', source: 'routes', paint: { 'line-color': ['get', 'color'], 'line-width': 3, 'line-opacity': 0.8 } });
      setMap(m);
    });
    return () => {
      gone = true;
      made?.remove();
    };
  }, []);

  useEffect(() => {
    if (!map) return;
    const markers: maplibregl.Marker[] = [];
    const features: GeoJSON.Feature[] = [];
    const all: [number, number][] = [];
    (plan?.routes ?? []).forEach((r, i) => {
      const color = ROUTE_COLORS[i % ROUTE_COLORS.length];
      const line = r.stops.map((s) => [s.lon, s.lat] as [number, number]);
      all.push(...line);
      features.push({ type: 'Feature', properties: { color }, geometry: { type: 'LineString', coordinates: line } });
      r.stops.forEach((s, j) => {
        const div = document.createElement('div');
        div.className = `stop-num ${s.action}`;
        div.style.background = color;
        div.textContent = String(j + 1);
        div.title = `${j + 1}. ${s.action} #${s.shipment_id} at ${new Date(s.arrival).toLocaleTimeString()} — ${s.address}`;
        markers.push(new maplibregl.Marker({ element: div }).setLngLat([s.lon, s.lat]).addTo(map));
      });
    });
    (map.getSource('routes') as GeoJSONSource).setData({ type: 'FeatureCollection', features });
    fitTo(map, all);
    el.current!.dataset.stops = String(markers.length);
    return () => markers.forEach((m) => m.remove());
  }, [plan, map]);

  return <div class="map plan-map" ref={el} data-testid="plan-map" />;
}
