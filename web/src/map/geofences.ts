// Draws the organization's geofences (GET /tracking/geofences): circles become 64-gon
// polygons so one fill + line layer shows both kinds.
import type maplibregl from 'maplibre-gl';
import { api, type Schemas } from '../api/client';

function circle(c: Schemas['Circle']): [number, number][] {
  const pts: [number, number][] = [];
  const dLat = c.radius_m / 111_320;
  const dLon = dLat / Math.cos((c.lat * Math.PI) / 180);
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    pts.push([c.lon + dLon * Math.cos(a), c.lat + dLat * Math.sin(a)]);
  }
  return pts;
}

/** Geofence names by id, for the event feed. */
export const geofenceNames = new Map<number, string>();

export async function addGeofences(map: maplibregl.Map) {
  const { data } = await api.GET('/api/v1/tracking/geofences');
  for (const g of data ?? []) geofenceNames.set(g.id, g.name);
  const features: GeoJSON.Feature[] = (data ?? []).flatMap((g) => {
    const ring = g.circle ? circle(g.circle) : (g.polygon ?? []).map((p) => [p[0], p[1]] as [number, number]);
    if (ring.length < 3) return [];
    if (!g.circle) ring.push(ring[0]);
    return [{ type: 'Feature', properties: { name: g.name, id: g.id }, geometry: { type: 'Polygon', coordinates: [ring] } }];
  });
  if (!map.getCanvasContainer().isConnected) return; // the page was left meanwhile
  map.addSource('geofences', { type: 'geojson', data: { type: 'FeatureCollection', features } });
  const before = map.getLayer('drivers') ? 'drivers' : undefined;
  map.addLayer({ id: 'geofences-fill', type: 'fill', source: 'geofences', paint: { 'fill-color': '#7c3aed', 'fill-opacity': 0.12 } }, before);
  map.addLayer({ id: 'geofences-line', type: 'line', source: 'geofences', paint: { 'line-color': '#7c3aed', 'line-width': 1.5 } }, before);
  map.getContainer().dataset.geofences = String(features.length);
}
