// Route planner: pick unassigned (booked) shipments and available drivers with a vehicle,
// run POST /routes/optimize, look at the proposal (routes on the map with numbered stops,
// arrival times, distance, savings against the manual plan, unassigned loads with reasons)
// and accept it. Large problems (over 100 jobs, or a search time over 5 s) answer 202 with the
// plan running in the background; the plan URL is then polled every second until it is done.
import { useEffect, useState } from 'preact/hooks';
import { allPages, api, problemText, type Driver, type Me, type PlanView, type Shipment, type Vehicle } from '../api/client';
import { navigate } from '../router';
import { fmtDateTime, fmtKm, fmtTime, label } from '../ui/format';
import { PlanMap } from './PlanMap';
import { ROUTE_COLORS } from '../map/basemap';

export function PlannerPage(_: { me: Me }) {
  const [shipments, setShipments] = useState<Shipment[]>([]);
  const [drivers, setDrivers] = useState<Driver[]>([]);
  const [vehicles, setVehicles] = useState<Vehicle[]>([]);
  const [picked, setPicked] = useState(new Set<number>());
  const [crews, setCrews] = useState(new Map<number, number>()); // driver → vehicle
  const [plan, setPlan] = useState<PlanView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState('');
  const [timeLimit, setTimeLimit] = useState('1');

  useEffect(() => {
    void api.GET('/api/v1/shipments', { params: { query: { status: 'booked', limit: 200 } } }).then((r) =>
      setShipments((r.data?.data ?? []).sort((a, b) => a.pickup.window.start.localeCompare(b.pickup.window.start))),
    );
    void allPages((c) => api.GET('/api/v1/drivers', { params: { query: { status: 'available', limit: 200, cursor: c } } }).then((r) => r.data)).then(setDrivers);
    void allPages((c) => api.GET('/api/v1/vehicles', { params: { query: { limit: 200, cursor: c } } }).then((r) => r.data)).then((v) =>
      setVehicles(v.filter((x) => x.status === 'active')),
    );
  }, []);

  const names = new Map(drivers.map((d) => [d.id, d.name]));
  const byId = new Map(shipments.map((s) => [s.id, s]));
  const usedVehicles = new Set(crews.values());

  function toggleShipment(id: number) {
    const next = new Set(picked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setPicked(next);
  }

  function toggleDriver(d: Driver) {
    const next = new Map(crews);
    if (next.has(d.id)) next.delete(d.id);
    else {
      const own = d.current_vehicle_id && vehicles.some((v) => v.id === d.current_vehicle_id) && !usedVehicles.has(d.current_vehicle_id);
      const free = own ? d.current_vehicle_id! : vehicles.find((v) => !usedVehicles.has(v.id))?.id;
      if (free === undefined) return setError('No free active vehicle left for another crew.');
      next.set(d.id, free);
    }
    setCrews(next);
  }

  async function poll(p: PlanView) {
    let view = p;
    for (let i = 0; i < 300 && view.status === 'running'; i++) {
      setPlan(view);
      await new Promise((r) => setTimeout(r, 1000));
      const r = await api.GET('/api/v1/routes/plans/{plan_id}', { params: { path: { plan_id: view.plan_id } } });
      if (!r.data) throw new Error(problemText(r.error, r.response));
      view = r.data;
    }
    setPlan(view);
  }

  async function optimize() {
    setError(null);
    setPlan(null);
    setBusy('Optimizing…');
    try {
      const r = await api.POST('/api/v1/routes/optimize', {
        body: {
          shipment_ids: [...picked],
          crews: [...crews].map(([driver_id, vehicle_id]) => ({ driver_id, vehicle_id })),
          time_limit_seconds: Number(timeLimit) || 1,
        },
      });
      if (!r.data) throw new Error(problemText(r.error, r.response));
      await poll(r.data);
    } catch (e) {
      setError(String((e as Error).message ?? e));
    }
    setBusy('');
  }

  async function accept() {
    if (!plan) return;
    setBusy('Accepting…');
    const r = await api.POST('/api/v1/routes/plans/{plan_id}/accept', { params: { path: { plan_id: plan.plan_id } } });
    setBusy('');
    if (!r.data) return setError(problemText(r.error, r.response));
    setPlan(r.data);
  }

  const result = plan?.result;
  return (
    <div class="planner">
      <section class="pick">
        <h2>Route planner</h2>
        <h3>Booked shipments <small>({picked.size} of {shipments.length})</small></h3>
        <div class="mini-actions">
          <button class="link" onClick={() => setPicked(new Set(shipments.slice(0, 12).map((s) => s.id)))}>first 12</button>
          <button class="link" onClick={() => setPicked(new Set())}>none</button>
        </div>
        <ul class="checklist" data-testid="plan-shipments">
          {shipments.map((s) => (
            <li key={s.id}>
              <label>
                <input type="checkbox" checked={picked.has(s.id)} onChange={() => toggleShipment(s.id)} data-id={s.id} />
                {s.reference} <small>{s.weight_kg} kg · pickup {fmtDateTime(s.pickup.window.start)}</small>
              </label>
            </li>
          ))}
        </ul>
        <h3>Available drivers <small>({crews.size} chosen)</small></h3>
        <ul class="checklist" data-testid="plan-drivers">
          {drivers.map((d) => (
            <li key={d.id}>
              <label>
                <input type="checkbox" checked={crews.has(d.id)} onChange={() => toggleDriver(d)} data-id={d.id} />
                {d.name}
              </label>
              {crews.has(d.id) && (
                <select value={crews.get(d.id)} onChange={(e) => setCrews(new Map(crews).set(d.id, Number(e.currentTarget.value)))} aria-label={`vehicle for ${d.name}`}>
                  {vehicles.filter((v) => v.id === crews.get(d.id) || !usedVehicles.has(v.id)).map((v) => (
                    <option key={v.id} value={v.id}>{v.plate} · {label(v.vehicle_type)} · {v.capacity.weight_kg} kg</option>
                  ))}
                </select>
              )}
            </li>
          ))}
        </ul>
        <label class="inline">Search time (s) <input value={timeLimit} onInput={(e) => setTimeLimit(e.currentTarget.value)} size={3} /></label>
        <button onClick={optimize} disabled={!!busy || picked.size === 0 || crews.size === 0} data-testid="optimize">Optimize</button>
        {busy && <p class="muted">{busy}</p>}
        {error && <p class="error" role="alert">{error}</p>}
      </section>
      <section class="result">
        <PlanMap plan={result ?? null} />
        {plan && !result && (
          <p class="muted" data-testid="plan-status" data-status={plan.status}>
            Plan {plan.plan_id}: {plan.status}
            {plan.status === 'running' && <> in the background{elapsed(plan) != null && <>, {elapsed(plan)!.toFixed(0)} s so far</>}</>}
            {plan.error ? ` — ${plan.error}` : ''}
          </p>
        )}
        {result && plan && (
          <div class="plan" data-testid="plan-result" data-status={plan.status}>
            <p class="totals">
              {result.routes.length} routes · {fmtKm(result.total_distance_m)} ·{' '}
              <b data-testid="savings">saves {fmtKm(result.savings.distance_saved_m)} ({result.savings.percent.toFixed(1)} %)</b> against the manual plan ({fmtKm(result.savings.manual_distance_m)})
            </p>
            {plan.status === 'accepted' ? (
              <p class="ok" data-testid="accepted">
                Accepted: the shipments are assigned. <a href="/shipments?status=assigned">See them on the board</a> · <a href="/map">live map</a>
              </p>
            ) : (
              <button onClick={accept} disabled={!!busy || plan.status !== 'completed'} data-testid="accept">Accept plan</button>
            )}
            {result.routes.map((r, i) => (
              <div class="route" key={r.driver_id} data-testid="route" data-driver={r.driver_id}>
                <h4><i class="swatch" style={{ background: ROUTE_COLORS[i % ROUTE_COLORS.length] }} /> {names.get(r.driver_id) ?? `Driver ${r.driver_id}`} — {fmtKm(r.distance_m)}, {Math.round(r.duration_s / 60)} min
                  {plan.status === 'accepted' && <> · <a href={`/shipments?status=assigned&driver_id=${r.driver_id}`}>on the board</a></>}
                </h4>
                <ol>
                  {r.stops.map((v, j) => (
                    <li key={j}>
                      {fmtTime(v.arrival)} {v.action}{' '}
                      {v.shipment_id != null
                        ? <a href={`/shipments/${v.shipment_id}`} onClick={(e) => { e.preventDefault(); navigate(`/shipments/${v.shipment_id}`); }}>{byId.get(v.shipment_id)?.reference ?? `#${v.shipment_id}`}</a>
                        : <span>stop {v.stop_id}</span>}{' '}
                      <small>{v.address}</small>
                    </li>
                  ))}
                </ol>
              </div>
            ))}
            {result.unassigned.length > 0 && (
              <div data-testid="unassigned">
                <h4>Unassigned</h4>
                <ul>
                  {result.unassigned.map((u) => (
                    <li key={u.shipment_id ?? `stop-${u.stop_id}`}>{u.shipment_id != null ? (byId.get(u.shipment_id)?.reference ?? `#${u.shipment_id}`) : `stop ${u.stop_id}`}: {label(u.reason)}</li>
                  ))}
                </ul>
              </div>
            )}
          </div>
        )}
      </section>
    </div>
  );
}

/** Seconds a background plan has run, from its stored progress. */
function elapsed(plan: PlanView): number | null {
  const p = plan.progress as { elapsed_seconds?: unknown } | null | undefined;
  return typeof p?.elapsed_seconds === 'number' ? p.elapsed_seconds : null;
}
