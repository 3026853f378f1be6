-- The indexed tokens of shipment search, so a prefix term can be expanded to the few exact
-- tokens it covers (see src/db/search.rs): FTS5 walks exact tokens newest first and stops at
-- the page, where a prefix term first merges every match.
CREATE VIRTUAL TABLE shipments_fts_terms USING fts5vocab(shipments_fts, 'row');
