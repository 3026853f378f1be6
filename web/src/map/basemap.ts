// Creates a MapLibre map that works with no internet: the default style draws US states,
// Texas counties and real Austin bus traces from GeoJSON files shipped in web/public/basemap
// (see scripts/basemap.mjs for their sources and licences). In production a tile server's
// style URL replaces it — one setting, resolved in this order:
//   1. `?map_style=<url>` on any dashboard URL (remembered in localStorage; `?map_style=offline` forgets it)
//   2. localStorage `freight.mapStyle`
//   3. `VITE_MAP_STYLE_URL` at build time
//   4. the offline style below
// No text labels: a glyph server would be a network dependency, and names live in the panels.
import maplibregl, { type StyleSpecification } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';

export const AUSTIN: [number, number] = [-97.74, 30.29];

function styleUrl(): string | null {
  const q = new URLSearchParams(location.search).get('map_style');
  if (q !== null) {
    if (q === '' || q === 'offline') localStorage.removeItem('freight.mapStyle');
    else localStorage.setItem('freight.mapStyle', q);
  }
  return localStorage.getItem('freight.mapStyle') || import.meta.env.VITE_MAP_STYLE_URL || null;
}

function offlineStyle(): StyleSpecification {
  const base = `${location.origin}/basemap`;
  return {
    version: 8,
    sources: {
      states: { type: 'geojson', data: `${base}/states.geojson` },
      counties: { type: 'geojson', data: `${base}/tx-counties.geojson` },
      traces: { type: 'geojson', data: `${base}/austin-traces.geojson` },
    },
    layers: [
      { id: 'bg', type: 'background', paint: { 'background-color': '#dfe7ee' } },
      { id: 'land', type: 'fill', source: 'states', paint: { 'fill-color': '#f7f6f2' } },
      {
        id: 'counties',
        type: 'line',
        source: 'counties',
        paint: { 'line-color': '#c9c4b8', 'line-width': ['interpolate', ['linear'], ['zoom'], 5, 0.3, 10, 1.2] },
      },
      { id: 'states-line', type: 'line', source: 'states', paint: { 'line-color': '#9a948a', 'line-width': 1.2 } },
      {
        id: 'traces',
        type: 'line',
        source: 'traces',
        minzoom: 8,
        paint: {
          'line-color': '#b8c3cf',
          'line-opacity': ['interpolate', ['linear'], ['zoom'], 9, 0.9, 14, 0.5],
          'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.5, 14, 1.5],
        },
      },
    ],
  };
}

/** A map centred on Austin; resolves once the style has loaded. */
export function createMap(container: HTMLElement, zoom = 10.3): Promise<maplibregl.Map> {
  performance.mark('freight:map-create');
  const map = new maplibregl.Map({
    container,
    style: styleUrl() ?? offlineStyle(),
    center: AUSTIN,
    zoom,
    attributionControl: { compact: true, customAttribution: 'US Census / us-atlas · CapMetrics bus traces' },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  return new Promise((resolve) => map.once('load', () => resolve(map)));
}

export const STATUS_COLORS: Record<string, string> = {
  available: '#1f9d55',
  on_route: '#2563eb',
  on_break: '#d97706',
  off_duty: '#6b7280',
  unknown: '#9333ea',
};

/** Fits the view to a set of [lon, lat] points. */
export function fitTo(map: maplibregl.Map, pts: [number, number][], padding = 60) {
  if (!pts.length) return;
  const b = new maplibregl.LngLatBounds(pts[0], pts[0]);
  for (const p of pts) b.extend(p);
  map.fitBounds(b, { padding, maxZoom: 14, duration: 0 });
}

export const ROUTE_COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d'];
