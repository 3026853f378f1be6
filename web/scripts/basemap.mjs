// Writes the offline base map carried with the product into public/basemap/ (run by hand with
// `npm run basemap` when the inputs change; the outputs are committed and copied into dist):
//   states.geojson        US states, from the us-atlas npm package (Natural Earth / US Census
//                         cartographic boundaries, 1:10m; ISC licence, public-domain data)
//   tx-counties.geojson   Texas counties from the same package
//   austin-traces.geojson lines along real Capital Metro bus GPS traces in Austin
//                         (crates/freight/data/gps, CapMetrics by scascketta, MIT) — a light
//                         "where the streets are" layer for the demo city
// Coordinates are rounded (~10 m) to keep the files small; output is deterministic.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { feature } from 'topojson-client';

const require = createRequire(import.meta.url);
const out = new URL('../public/basemap/', import.meta.url);
const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;

function roundGeometry(g, d) {
  const walk = (c) => (typeof c[0] === 'number' ? [round(c[0], d), round(c[1], d)] : c.map(walk));
  return { type: g.type, coordinates: walk(g.coordinates) };
}

function write(name, fc) {
  writeFileSync(new URL(name, out), JSON.stringify(fc));
  console.log(`${name}: ${fc.features.length} features`);
}

const states = require('us-atlas/states-10m.json');
const counties = require('us-atlas/counties-10m.json');
write('states.geojson', {
  type: 'FeatureCollection',
  features: feature(states, states.objects.states).features.map((f) => ({
    type: 'Feature',
    properties: { name: f.properties.name },
    geometry: roundGeometry(f.geometry, 3),
  })),
});
write('tx-counties.geojson', {
  type: 'FeatureCollection',
  features: feature(counties, counties.objects.counties)
    .features.filter((f) => String(f.id).startsWith('48'))
    .map((f) => ({
      type: 'Feature',
      properties: { name: f.properties.name },
      geometry: roundGeometry(f.geometry, 4),
    })),
});

// Bus traces: one line per trip, consecutive pings joined, long gaps (> 1.5 km) broken.
const csv = readFileSync(
  new URL('../../crates/freight/data/gps/capmetro_2016-11-25_0600-1200.csv', import.meta.url),
  'utf8',
);
const [header, ...rows] = csv.trim().split('\n');
const col = Object.fromEntries(header.split(',').map((h, i) => [h.trim(), i]));
const trips = new Map();
for (const row of rows) {
  const c = row.split(',');
  const key = `${c[col.vehicle_id]}|${c[col.trip_id]}`;
  const lat = Number(c[col.latitude]);
  const lon = Number(c[col.longitude]);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) continue;
  if (!trips.has(key)) trips.set(key, []);
  trips.get(key).push({ t: c[col.timestamp], p: [round(lon, 4), round(lat, 4)] });
}
const metres = (a, b) => {
  const k = Math.PI / 180;
  const x = (b[0] - a[0]) * k * Math.cos(((a[1] + b[1]) / 2) * k);
  const y = (b[1] - a[1]) * k;
  return Math.hypot(x, y) * 6371000;
};
const lines = [];
for (const key of [...trips.keys()].sort()) {
  const pts = trips.get(key).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  let cur = [];
  for (const { p } of pts) {
    const last = cur[cur.length - 1];
    if (last && last[0] === p[0] && last[1] === p[1]) continue;
    if (last && metres(last, p) > 1500) {
      if (cur.length > 1) lines.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length > 1) lines.push(cur);
}
write('austin-traces.geojson', {
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: {}, geometry: { type: 'MultiLineString', coordinates: lines } }],
});
