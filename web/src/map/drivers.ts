// The drivers layer: one GeoJSON source drawn by a circle layer coloured by driver status,
// fed by the live feed. Fixes arriving between two frames are folded into one `setData` per
// animation frame (no DOM marker per driver). Each `setData` re-tiles the whole source in
// MapLibre's worker, so with a large fleet redraws are spaced at least BIG_FLEET_REDRAW_MS
// apart: devices report every 10–30 s, so 4 redraws a second lose nothing, and the frames in
// between stay free for panning and zooming.
// For tests and the benchmark it exposes what is drawn on `window.__freightMap` and the
// driver count on the container's `data-drivers` attribute.
import type maplibregl from 'maplibre-gl';
import type { GeoJSONSource } from 'maplibre-gl';
import type { LivePosition } from '../api/client';
import { onPositions, positions } from '../live';
import { STATUS_COLORS } from './basemap';

export interface DriverInfo {
  name: string;
  status: string;
}

declare global {
  interface Window {
    __freightMap?: {
      map: maplibregl.Map;
      flushes: number;
      /** Coordinates as last handed to the map source. */
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

export class DriversLayer {
  private dirty = false;
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  private info = new Map<number, DriverInfo>();
  private visible: ((id: number) => boolean) | null = null;
  private off: () => void;
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
    this.off = onPositions(() => this.schedule());
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
        return f && f.geometry.type === 'Point' ? (f.geometry.coordinates as [number, number]) : null;
      },
      renderedCount: () => new Set(map.queryRenderedFeatures({ layers: ['drivers'] }).map((f) => f.properties?.id)).size,
      snapshot: () => Object.fromEntries([...positions.values()].map((p) => [p.driver_id, [p.lon, p.lat]])),
    };
  }

  selected: number | null = null;

  setInfo(info: Map<number, DriverInfo>) {
    this.info = info;
    this.schedule();
  }

  /** Restricts which drivers are drawn (null: all). */
  setFilter(fn: ((id: number) => boolean) | null) {
    this.visible = fn;
    this.schedule();
  }

  select(id: number | null) {
    this.selected = id;
    this.schedule();
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
    this.lastFlush = performance.now();
    const features: GeoJSON.Feature[] = [];
    for (const p of positions.values()) {
      if (this.visible && !this.visible(p.driver_id)) continue;
      features.push(this.feature(p));
    }
    (this.map.getSource('drivers') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features });
    this.container.dataset.drivers = String(features.length);
    if (features.length && !this.drawnOnce) this.markFirstDraw();
    this.flushes++;
    if (window.__freightMap) window.__freightMap.flushes = this.flushes;
    this.onFlush?.();
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

  private feature(p: LivePosition): GeoJSON.Feature {
    const i = this.info.get(p.driver_id);
    return {
      type: 'Feature',
      id: p.driver_id,
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: { id: p.driver_id, status: i?.status ?? 'unknown', selected: this.selected === p.driver_id },
    };
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.timer);
    this.off();
    delete window.__freightMap;
  }
}
