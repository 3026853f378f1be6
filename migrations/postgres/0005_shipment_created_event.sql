-- Who created a shipment through the API, and its `created` event written by the database in
-- the same statement as the row, as on SQLite (see migrations/sqlite/0005): a booking is one
-- INSERT. Rows inserted without `created_by` (the demo seed) get no event here.
ALTER TABLE shipments ADD COLUMN created_by TEXT;

CREATE FUNCTION shipments_created_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO shipment_events (org_id, shipment_id, from_status, to_status, actor, note, at)
    VALUES (NEW.org_id, NEW.id, NULL, NEW.status, NEW.created_by, 'created', NEW.created_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER shipments_created_event AFTER INSERT ON shipments
FOR EACH ROW WHEN (NEW.created_by IS NOT NULL) EXECUTE FUNCTION shipments_created_event();
