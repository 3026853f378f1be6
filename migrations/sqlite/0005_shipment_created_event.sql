-- Who created a shipment through the API, and its `created` event written by the database in
-- the same statement as the row: a booking is one INSERT, atomic on its own, so SQLite's
-- single writer is held for one statement instead of a four-step transaction. Rows inserted
-- without `created_by` (the demo seed, which writes its own event trail) get no event here.
ALTER TABLE shipments ADD COLUMN created_by TEXT;

CREATE TRIGGER shipments_created_event AFTER INSERT ON shipments
WHEN new.created_by IS NOT NULL BEGIN
    INSERT INTO shipment_events (org_id, shipment_id, from_status, to_status, actor, note, at)
    VALUES (new.org_id, new.id, NULL, new.status, new.created_by, 'created', new.created_at);
END;

-- The search index changes only when the indexed text does; an edit that rewrites the row
-- with the same reference and notes no longer re-indexes them.
DROP TRIGGER shipments_fts_update;
CREATE TRIGGER shipments_fts_update AFTER UPDATE OF reference, notes ON shipments
WHEN old.reference IS NOT new.reference OR old.notes IS NOT new.notes BEGIN
    INSERT INTO shipments_fts (shipments_fts, rowid, reference, notes)
    VALUES ('delete', old.id, old.reference, old.notes);
    INSERT INTO shipments_fts (rowid, reference, notes) VALUES (new.id, new.reference, new.notes);
END;
