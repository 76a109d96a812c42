-- +goose Up
-- contact_record_document: each contact record's newest version as a JSON
-- document. On PostgreSQL contact_record.raw became text (migration 00020
-- there) and this view gives the document as jsonb; this dialect keeps raw
-- as JSON text, which its json functions read, so the view is raw. Report
-- writers read the same view on every dialect, as agent_event_document.
CREATE VIEW contact_record_document AS
SELECT contact_id, initiation_timestamp, last_update_timestamp, raw AS document FROM contact_record;

-- +goose Down
DROP VIEW contact_record_document;
