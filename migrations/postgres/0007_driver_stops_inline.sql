-- A driver's accepted stop list holds inline stops (visits without a shipment) as well as
-- shipment visits, with the address the driver is sent to; exactly one of shipment_id and
-- stop_id names what the stop is.
ALTER TABLE driver_stops ALTER COLUMN shipment_id DROP NOT NULL;
ALTER TABLE driver_stops ADD COLUMN stop_id TEXT;
ALTER TABLE driver_stops ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE driver_stops ADD CONSTRAINT driver_stops_one_subject
    CHECK (num_nonnulls(shipment_id, stop_id) = 1);
