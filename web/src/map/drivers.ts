// The drivers layer: one GeoJSON source drawn by a circle layer coloured by driver status,
// fed by the live feed (positions, and statuses kept current by `driver_status` events).
// No DOM marker per driver: each redraw is one `setData` in an animation frame.
//
// Markers glide: a new fix starts a straight move from where the marker is drawn now to the
// fix, spread over that driver's update interval (the time since its previous fix reached the
// page, at most MAX_GLIDE_MS so a marker is never more than that behind its latest fix), so it
// arrives about when the next fix does. While anything glides, every animation frame
// interpolates every moving driver and hands the whole collection to the map in one
// `setData`. Each `setData` re-tiles the source in MapLibre's worker and repaints, so with a
// large fleet redraws (glide steps included) are spaced at least BIG_FLEET_REDRAW_MS apart:
// the glide then advances in 4 steps a second instead of every frame, and the frames in
// between stay free for panning and zooming. The first snapshot and reconnects jump.
// For tests and the benchmark it exposes what is drawn on `window.__freightMap` and the
// driver count on the container's `data-drivers` attribute.
import type maplibregl from 'maplibre-gl';
import type { GeoJSONSource } from 'maplibre-gl';
import type { LivePosition } from '../api/client';
import { onPositions, onStatuses, positions, statuses } from '../live';
import { STATUS_COLORS } from './basemap';

declare global {
  interface Window {
    __freightMap?: {
      map: maplibregl.Map;
      flushes: number;
      /** Coordinates as last received from the feed (where a gliding marker is heading). */
      sourceCoords(driverId: number): [number, number] | null;
      /** Coordinates of the rendered circle (queried from the drawn tiles). */
      renderedCoords(driverId: number): [number, number] | null;
      renderedCount(): number;
      /** Every known driver's latest coordinates (for counting movers in the benchmark). */
      snapshot(): Record<number, [number, number]>;
    };
  }
}

/** Fleets above this size are redrawn at most every BIG_FLEET_REDRAW_MS. */
const BIG_FLEET = 300;
const BIG_FLEET_REDRAW_MS = 250;
/** Longest glide; a driver reporting less often waits at its fix for the next one. */
const MAX_GLIDE_MS = 5_000;
/** Shorter glides than this are not worth a frame: the marker jumps. */
const MIN_GLIDE_MS = 50;

type LonLat = [number, number];

interface Glide {
  from: LonLat;
  to: LonLat;
  start: number;
  duration: number;
}

export class DriversLayer {
  private dirty = false;
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  private visible: ((id: number) => boolean) | null = null;
  private glides = new Map<number, Glide>();
  /** When each driver's latest fix reached the page (performance.now()). */
  private arrived = new Map<number, number>();
  /** Where each marker was drawn by the last flush. */
  private drawn = new Map<number, LonLat>();
  private offs: (() => void)[];
  flushes = 0;
  onFlush: (() => void) | null = null;

  constructor(private map: maplibregl.Map, private container: HTMLElement) {
    map.addSource('drivers', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({
      id: 'drivers',
      type: 'circle',
      source: 'drivers',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 3.5, 13, 7],
        'circle-color': [
          'match',
          ['get', 'status'],
          ...Object.entries(STATUS_COLORS).flat(),
          STATUS_COLORS.unknown,
        ] as unknown as string,
        'circle-stroke-color': ['case', ['boolean', ['get', 'selected'], false], '#111', '#fff'],
        'circle-stroke-width': ['case', ['boolean', ['get', 'selected'], false], 3, 1],
      },
    });
    this.offs = [onPositions((changed, snapshot) => this.moved(changed, snapshot)), onStatuses(() => this.schedule())];
    this.schedule();
    window.__freightMap = {
      map,
      flushes: 0,
      sourceCoords: (id) => {
        const p = positions.get(id);
        return p ? [p.lon, p.lat] : null;
      },
      renderedCoords: (id) => {
        const f = map.queryRenderedFeatures({ layers: ['drivers'] }).find((f) => f.properties?.id === id);
        return f && f.geometry.type === 'Point' ? (f.geometry.coordinates as LonLat) : null;
      },
      renderedCount: () => new Set(map.queryRenderedFeatures({ layers: ['drivers'] }).map((f) => f.properties?.id)).size,
      snapshot: () => Object.fromEntries([...positions.values()].map((p) => [p.driver_id, [p.lon, p.lat]])),
    };
  }

  selected: number | null = null;

  /** Restricts which drivers are drawn (null: all). */
  setFilter(fn: ((id: number) => boolean) | null) {
    this.visible = fn;
    this.schedule();
  }

  select(id: number | null) {
    this.selected = id;
    this.schedule();
  }

  /** New fixes: each marker glides from where it is drawn to its fix (a snapshot jumps). */
  private moved(changed: LivePosition[], snapshot: boolean) {
    const now = performance.now();
    if (snapshot) this.glides.clear();
    for (const p of changed) {
      const before = this.arrived.get(p.driver_id);
      this.arrived.set(p.driver_id, now);
      const from = this.drawn.get(p.driver_id);
      const duration = before === undefined ? 0 : Math.min(now - before, MAX_GLIDE_MS);
      if (snapshot || !from || duration < MIN_GLIDE_MS) {
        this.glides.delete(p.driver_id);
        continue;
      }
      const current = this.glides.get(p.driver_id);
      this.glides.set(p.driver_id, { from: current ? along(current, now) : from, to: [p.lon, p.lat], start: now, duration });
    }
    this.schedule();
  }

  /** Where a driver's marker belongs at `now`; finished glides are forgotten. */
  private position(p: LivePosition, now: number): LonLat {
    const g = this.glides.get(p.driver_id);
    if (g && now - g.start < g.duration) return along(g, now);
    this.glides.delete(p.driver_id);
    return [p.lon, p.lat];
  }

  schedule() {
    if (this.dirty) return;
    this.dirty = true;
    const wait = positions.size > BIG_FLEET ? this.lastFlush + BIG_FLEET_REDRAW_MS - performance.now() : 0;
    if (wait > 0) this.timer = setTimeout(() => (this.frame = requestAnimationFrame(() => this.flush())), wait);
    else this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush() {
    this.dirty = false;
    const now = performance.now();
    this.lastFlush = now;
    const features: GeoJSON.Feature[] = [];
    for (const p of positions.values()) {
      const at = this.position(p, now);
      this.drawn.set(p.driver_id, at);
      if (this.visible && !this.visible(p.driver_id)) continue;
      features.push(this.feature(p.driver_id, at));
    }
    (this.map.getSource('drivers') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features });
    this.container.dataset.drivers = String(features.length);
    if (features.length && !this.drawnOnce) this.markFirstDraw();
    this.flushes++;
    if (window.__freightMap) window.__freightMap.flushes = this.flushes;
    this.onFlush?.();
    if (this.glides.size) this.schedule();
  }

  private drawnOnce = false;

  /** Marks `freight:drivers-drawn` (read by the map benchmark) once circles are on screen. */
  private markFirstDraw() {
    this.drawnOnce = true;
    const check = () => {
      if (!this.map.queryRenderedFeatures({ layers: ['drivers'] }).length) return;
      this.map.off('render', check);
      performance.mark('freight:drivers-drawn');
    };
    this.map.on('render', check);
  }

  private feature(id: number, at: LonLat): GeoJSON.Feature {
    return {
      type: 'Feature',
      id,
      geometry: { type: 'Point', coordinates: at },
      properties: { id, status: statuses.get(id) ?? 'unknown', selected: this.selected === id },
    };
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.timer);
    for (const off of this.offs) off();
    delete window.__freightMap;
  }
}

/** The point of a glide at `now` (its end once it is over). */
function along(g: Glide, now: number): LonLat {
  const t = Math.min(1, (now - g.start) / g.duration);
  return [g.from[0] + (g.to[0] - g.from[0]) * t, g.from[1] + (g.to[1] - g.from[1]) * t];
}
