// Create and edit a shipment. The API validates the whole record and answers problem+json
// with `errors[].field` paths (`weight_kg`, `pickup.window.end`, …); each message is shown
// beside the input bound to that path. Edits send `If-Match` with the ETag from the GET, so
// a concurrent change answers 412 instead of being overwritten.
import { useEffect, useState } from 'preact/hooks';
import { allPages, api, fieldErrors, problemText, type Me, type Schemas } from '../api/client';
import { navigate } from '../router';
import { isStaff } from '../session';
import { StopFields, fromLocalInput, toLocalInput, type StopDraft } from './StopFields';

type Priority = Schemas['Priority'];

interface Draft {
  customer_id: string;
  reference: string;
  priority: Priority;
  weight_kg: string;
  volume_m3: string;
  pallets: string;
  declared_value: string;
  notes: string;
  pickup: StopDraft;
  delivery: StopDraft;
}

function hoursFromNow(h: number) {
  const d = new Date(Date.now() + h * 3600_000);
  d.setMinutes(0, 0, 0);
  return toLocalInput(d.toISOString());
}

const blank = (): Draft => ({
  customer_id: '',
  reference: '',
  priority: 'normal',
  weight_kg: '',
  volume_m3: '',
  pallets: '0',
  declared_value: '',
  notes: '',
  pickup: { address: '', lat: '', lon: '', start: hoursFromNow(2), end: hoursFromNow(4), service_minutes: '15' },
  delivery: { address: '', lat: '', lon: '', start: hoursFromNow(5), end: hoursFromNow(8), service_minutes: '15' },
});

const num = (s: string) => (s.trim() === '' ? (null as unknown as number) : Number(s));

function stopBody(s: StopDraft): Schemas['StopView'] {
  return {
    address: s.address,
    lat: num(s.lat),
    lon: num(s.lon),
    window: { start: fromLocalInput(s.start), end: fromLocalInput(s.end) },
    service_minutes: num(s.service_minutes),
  };
}

export function ShipmentFormPage({ me, id }: { me: Me; id?: number }) {
  const [d, setD] = useState<Draft>(blank());
  const [etag, setEtag] = useState<string | null>(null);
  const [customers, setCustomers] = useState<Schemas['Customer'][]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (isStaff(me))
      void allPages((c) => api.GET('/api/v1/customers', { params: { query: { limit: 200, cursor: c } } }).then((r) => r.data)).then(setCustomers);
    if (id !== undefined) void load();
  }, [id]);

  async function load() {
    const r = await api.GET('/api/v1/shipments/{id}', { params: { path: { id: id! } } });
    if (!r.data) return setError(problemText(r.error, r.response));
    const s = r.data;
    setEtag(r.response.headers.get('etag'));
    const stop = (v: Schemas['StopView']): StopDraft => ({
      address: v.address,
      lat: String(v.lat),
      lon: String(v.lon),
      start: toLocalInput(v.window.start),
      end: toLocalInput(v.window.end),
      service_minutes: String(v.service_minutes),
    });
    setD({
      customer_id: String(s.customer_id),
      reference: s.reference,
      priority: s.priority,
      weight_kg: String(s.weight_kg),
      volume_m3: String(s.volume_m3),
      pallets: String(s.pallets),
      declared_value: String(s.declared_value.amount_cents / 100),
      notes: s.notes,
      pickup: stop(s.pickup),
      delivery: stop(s.delivery),
    });
  }

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((old) => ({ ...old, [k]: v }));

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    const common = {
      reference: d.reference.trim() || null,
      priority: d.priority,
      weight_kg: num(d.weight_kg),
      volume_m3: d.volume_m3.trim() === '' ? 0 : Number(d.volume_m3),
      pallets: d.pallets.trim() === '' ? 0 : Number(d.pallets),
      declared_value: d.declared_value.trim() === '' ? null : { amount_cents: Math.round(Number(d.declared_value) * 100), currency: 'USD' },
      notes: d.notes,
      pickup: stopBody(d.pickup),
      delivery: stopBody(d.delivery),
    };
    const customer_id = isStaff(me) && d.customer_id ? Number(d.customer_id) : null;
    const r =
      id === undefined
        ? await api.POST('/api/v1/shipments', { body: { ...common, customer_id } })
        : await api.PATCH('/api/v1/shipments/{id}', {
            params: { path: { id }, header: { 'If-Match': etag ?? '' } },
            body: { ...common, customer_id },
          });
    setBusy(false);
    if (r.data) return navigate(`/shipments/${r.data.id}`);
    setErrors(fieldErrors(r.error));
    if (r.response.status === 412) {
      setError('Someone else changed this shipment meanwhile; the form now shows their version.');
      return load();
    }
    setError(problemText(r.error, r.response));
  }

  const err = (path: string) => errors[path] && <span class="field-error" data-field={path}>{errors[path]}</span>;
  const known = ['customer_id', 'reference', 'priority', 'weight_kg', 'volume_m3', 'pallets', 'declared_value', 'declared_value.amount_cents', 'notes'];
  const other = Object.keys(errors).filter((k) => !known.includes(k) && !k.startsWith('pickup') && !k.startsWith('delivery'));

  return (
    <form class="page form" onSubmit={submit} data-testid="shipment-form" noValidate>
      <h2>{id === undefined ? 'New shipment' : `Edit ${d.reference}`}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {other.map((k) => <p class="field-error" key={k}>{k}: {errors[k]}</p>)}
      <div class="row">
        {isStaff(me) && (
          <label>
            Customer
            <select name="customer_id" value={d.customer_id} onChange={(e) => set('customer_id', e.currentTarget.value)}>
              <option value="">—</option>
              {customers.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
            {err('customer_id')}
          </label>
        )}
        <label>
          Reference
          <input name="reference" value={d.reference} placeholder="generated when empty" onInput={(e) => set('reference', e.currentTarget.value)} />
          {err('reference')}
        </label>
        <label>
          Priority
          <select name="priority" value={d.priority} onChange={(e) => set('priority', e.currentTarget.value as Priority)}>
            {['low', 'normal', 'high', 'urgent'].map((p) => <option key={p}>{p}</option>)}
          </select>
          {err('priority')}
        </label>
      </div>
      <div class="row">
        <label>
          Weight (kg)
          <input name="weight_kg" inputMode="decimal" value={d.weight_kg} onInput={(e) => set('weight_kg', e.currentTarget.value)} />
          {err('weight_kg')}
        </label>
        <label>
          Volume (m³)
          <input name="volume_m3" inputMode="decimal" value={d.volume_m3} onInput={(e) => set('volume_m3', e.currentTarget.value)} />
          {err('volume_m3')}
        </label>
        <label>
          Pallets
          <input name="pallets" inputMode="numeric" value={d.pallets} onInput={(e) => set('pallets', e.currentTarget.value)} />
          {err('pallets')}
        </label>
        <label>
          Declared value (USD)
          <input name="declared_value" inputMode="decimal" value={d.declared_value} onInput={(e) => set('declared_value', e.currentTarget.value)} />
          {err('declared_value') || err('declared_value.amount_cents')}
        </label>
      </div>
      <StopFields title="Pickup" prefix="pickup" value={d.pickup} errors={errors} onChange={(v) => set('pickup', v)} />
      <StopFields title="Delivery" prefix="delivery" value={d.delivery} errors={errors} onChange={(v) => set('delivery', v)} />
      <label>
        Notes
        <textarea name="notes" value={d.notes} onInput={(e) => set('notes', e.currentTarget.value)} />
        {err('notes')}
      </label>
      <div class="actions">
        <button type="submit" disabled={busy} data-testid="save">{id === undefined ? 'Create shipment' : 'Save changes'}</button>
        <a href={id === undefined ? '/shipments' : `/shipments/${id}`}>Cancel</a>
      </div>
    </form>
  );
}
