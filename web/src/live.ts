// The live feed: one WebSocket to /api/v1/tracking/live per tab, shared by every page.
// The server sends a snapshot of every visible driver, then deltas (newest fix per driver,
// plus geofence / arrival / ETA / driver-status events). We keep the latest position and the
// status of each driver and tell listeners which drivers changed; the map batches those into
// one redraw per animation frame. Statuses are seeded from API reads (`rememberStatuses`) and
// then kept current by `driver_status` events. No polling: reconnects with back-off when the
// socket drops, and takes a fresh snapshot (pages re-read statuses on every snapshot, since
// changes made while disconnected are not replayed).
import type { DriverStatus, LivePosition, Schemas } from './api/client';
import { session } from './session';
import { signal } from './ui/signal';

/** Every message and event shape below is generated from the OpenAPI document. */
export type LiveEventBody = Schemas['LiveEventBody'];
/** `geofence` and `arrival` events carry the stored event's fields. */
export type GeoEvent = Extract<LiveEventBody, { type: 'geofence' | 'arrival' }>;
/** `eta` events: a shipment's ETA to its next stop changed. */
export type EtaEvent = Extract<LiveEventBody, { type: 'eta' }>;
/** `driver_status` events: a driver's status changed. */
export type StatusEvent = Extract<LiveEventBody, { type: 'driver_status' }>;
type LiveMessage = Schemas['LiveMessage'];

/** What the side feed lists: geofence / arrival events, shipments that just became late, and
 *  status changes (with the status the page knew before, when it knew one). */
export type FeedItem = (
  | GeoEvent
  | (Omit<EtaEvent, 'type'> & { type: 'late' })
  | (StatusEvent & { previous?: DriverStatus })
) & { received: number };

type PositionsListener = (changed: LivePosition[], snapshot: boolean) => void;
type StatusListener = (changed: number[]) => void;

export const positions = new Map<number, LivePosition>();
export const connected = signal(false);
/** Newest first, capped. Only what a dispatcher acts on: geofence, arrival, newly late. */
export const feed = signal<FeedItem[]>([]);
/** Latest ETA event per shipment. */
export const etas = new Map<number, EtaEvent>();
/** Each driver's status as last known to the page. */
export const statuses = new Map<number, DriverStatus>();

const listeners = new Set<PositionsListener>();
const statusListeners = new Set<StatusListener>();
let socket: WebSocket | null = null;
let retry = 0;
let wanted = false;
let timer: ReturnType<typeof setTimeout> | undefined;

export function onPositions(fn: PositionsListener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(changed: LivePosition[], snapshot: boolean) {
  for (const fn of [...listeners]) fn(changed, snapshot);
}

export function onStatuses(fn: StatusListener): () => void {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

function emitStatuses(changed: number[]) {
  if (changed.length) for (const fn of [...statusListeners]) fn(changed);
}

/** Records statuses read from the API (driver list, shipments' drivers). */
export function rememberStatuses(list: Iterable<{ id: number; status: DriverStatus }>) {
  const changed: number[] = [];
  for (const d of list) {
    if (statuses.get(d.id) === d.status) continue;
    statuses.set(d.id, d.status);
    changed.push(d.id);
  }
  emitStatuses(changed);
}

function pushEvents(events: LiveEventBody[]) {
  const keep: FeedItem[] = [];
  const received = Date.now();
  const restatused: number[] = [];
  for (const e of events) {
    if (e.type === 'driver_status') {
      const previous = statuses.get(e.driver_id);
      statuses.set(e.driver_id, e.status);
      restatused.push(e.driver_id);
      keep.push({ ...e, previous, received });
    } else if (e.type === 'eta') {
      const before = etas.get(e.shipment_id);
      etas.set(e.shipment_id, e);
      if (e.late && !before?.late) keep.push({ ...e, type: 'late', received });
    } else if (e.type === 'geofence' || e.type === 'arrival') {
      keep.push({ ...e, received });
    }
  }
  emitStatuses(restatused);
  if (keep.length) feed.set([...keep.reverse(), ...feed.get()].slice(0, 200));
}

async function open() {
  const token = await session.accessToken();
  if (!wanted || !token) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/tracking/live?access_token=${encodeURIComponent(token)}`);
  socket = ws;
  ws.onopen = () => {
    retry = 0;
    connected.set(true);
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data as string) as LiveMessage;
    if (msg.type === 'snapshot') {
      positions.clear();
      for (const p of msg.positions) positions.set(p.driver_id, p);
      emit(msg.positions, true);
    } else if (msg.type === 'delta') {
      for (const p of msg.positions) positions.set(p.driver_id, p);
      if (msg.positions.length) emit(msg.positions, false);
      if (msg.events.length) pushEvents(msg.events);
    }
  };
  ws.onclose = () => {
    connected.set(false);
    if (socket === ws) socket = null;
    if (!wanted) return;
    const delay = Math.min(15_000, 500 * 2 ** retry++);
    timer = setTimeout(open, delay);
  };
}

/** Starts the feed (idempotent). */
export function startLive() {
  if (wanted) return;
  wanted = true;
  void open();
}

/** Stops the feed and forgets what it knew (on logout). */
export function stopLive() {
  wanted = false;
  clearTimeout(timer);
  socket?.close();
  socket = null;
  positions.clear();
  etas.clear();
  statuses.clear();
  feed.set([]);
}
