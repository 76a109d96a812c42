-- +goose Up
-- contact_record_document: each contact record's newest version as a JSON
-- document. On PostgreSQL contact_record.raw is no longer parsed at ingest
-- (migration 00020 there) and this view parses it; this dialect keeps raw
-- as nvarchar(max) JSON, which JSON_VALUE and OPENJSON read, so the view
-- is raw. Report writers read the same view on every dialect, as
-- agent_event_document.
-- +goose StatementBegin
CREATE VIEW contact_record_document AS
SELECT contact_id, initiation_timestamp, last_update_timestamp, raw AS document FROM contact_record;
-- +goose StatementEnd

-- +goose Down
DROP VIEW contact_record_document;
