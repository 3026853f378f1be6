// The inputs of one stop (address, coordinates, time window, service minutes) with the API's
// field errors under `<prefix>.<field>` shown beside them.

export interface StopDraft {
  address: string;
  lat: string;
  lon: string;
  start: string;
  end: string;
  service_minutes: string;
}

/** `datetime-local` value (viewer's zone) for an RFC 3339 instant. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** RFC 3339 UTC for a `datetime-local` value; empty stays empty so the API names the field. */
export function fromLocalInput(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

export function StopFields(props: {
  title: string;
  prefix: string;
  value: StopDraft;
  errors: Record<string, string>;
  onChange: (v: StopDraft) => void;
}) {
  const { prefix, value, errors } = props;
  const set = (k: keyof StopDraft) => (e: Event) => props.onChange({ ...value, [k]: (e.currentTarget as HTMLInputElement).value });
  const err = (...paths: string[]) => {
    const msgs = paths.map((p) => errors[`${prefix}.${p}`]).filter(Boolean);
    return msgs.length ? <span class="field-error" data-field={`${prefix}.${paths[0]}`}>{msgs.join('; ')}</span> : null;
  };
  return (
    <fieldset>
      <legend>{props.title}</legend>
      {errors[prefix] && <span class="field-error" data-field={prefix}>{errors[prefix]}</span>}
      <div class="row">
        <label class="wide">
          Address
          <input name={`${prefix}.address`} value={value.address} onInput={set('address')} />
          {err('address')}
        </label>
        <label>
          Latitude
          <input name={`${prefix}.lat`} inputMode="decimal" value={value.lat} onInput={set('lat')} />
          {err('lat')}
        </label>
        <label>
          Longitude
          <input name={`${prefix}.lon`} inputMode="decimal" value={value.lon} onInput={set('lon')} />
          {err('lon')}
        </label>
      </div>
      <div class="row">
        <label>
          Window start
          <input type="datetime-local" name={`${prefix}.window.start`} value={value.start} onInput={set('start')} />
          {err('window.start', 'window')}
        </label>
        <label>
          Window end
          <input type="datetime-local" name={`${prefix}.window.end`} value={value.end} onInput={set('end')} />
          {err('window.end')}
        </label>
        <label>
          Service (min)
          <input name={`${prefix}.service_minutes`} inputMode="numeric" value={value.service_minutes} onInput={set('service_minutes')} />
          {err('service_minutes')}
        </label>
      </div>
    </fieldset>
  );
}
