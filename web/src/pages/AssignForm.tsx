// Assign a driver and a vehicle to a booked (or re-assign an assigned) shipment through
// POST /shipments/{id}/assign; the API checks the vehicle is active and the load fits.
import { useEffect, useState } from 'preact/hooks';
import { allPages, api, fieldErrors, problemText, type Driver, type Shipment, type Vehicle } from '../api/client';
import { label } from '../ui/format';

export function AssignForm({ shipment, onDone }: { shipment: Shipment; onDone: () => void }) {
  const [drivers, setDrivers] = useState<Driver[]>([]);
  const [vehicles, setVehicles] = useState<Vehicle[]>([]);
  const [driver, setDriver] = useState(shipment.driver?.id ? String(shipment.driver.id) : '');
  const [vehicle, setVehicle] = useState(shipment.vehicle?.id ? String(shipment.vehicle.id) : '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void allPages((c) => api.GET('/api/v1/drivers', { params: { query: { limit: 200, cursor: c } } }).then((r) => r.data)).then((d) =>
      setDrivers(d.filter((x) => x.status !== 'off_duty')),
    );
    void allPages((c) => api.GET('/api/v1/vehicles', { params: { query: { limit: 200, cursor: c } } }).then((r) => r.data)).then((v) =>
      setVehicles(v.filter((x) => x.status === 'active')),
    );
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    const r = await api.POST('/api/v1/shipments/{id}/assign', {
      params: { path: { id: shipment.id } },
      body: { driver_id: Number(driver), vehicle_id: Number(vehicle) },
    });
    if (r.data) {
      setErrors({});
      setError(null);
      return onDone();
    }
    setErrors(fieldErrors(r.error));
    setError(problemText(r.error, r.response));
  }

  return (
    <form class="assign" onSubmit={submit} data-testid="assign-form">
      <h3>Assign</h3>
      <label>
        Driver
        <select value={driver} onChange={(e) => setDriver(e.currentTarget.value)} required name="driver_id">
          <option value="">—</option>
          {drivers.map((d) => <option key={d.id} value={d.id}>{d.name} ({label(d.status)})</option>)}
        </select>
        {errors.driver_id && <span class="field-error">{errors.driver_id}</span>}
      </label>
      <label>
        Vehicle
        <select value={vehicle} onChange={(e) => setVehicle(e.currentTarget.value)} required name="vehicle_id">
          <option value="">—</option>
          {vehicles.map((v) => (
            <option key={v.id} value={v.id}>{v.plate} · {label(v.vehicle_type)} · {v.capacity.weight_kg} kg</option>
          ))}
        </select>
        {errors.vehicle_id && <span class="field-error">{errors.vehicle_id}</span>}
      </label>
      <button type="submit">Assign</button>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
