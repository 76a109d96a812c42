-- +goose Up
-- agent_event.raw keeps each agent event as JSON text (text, not jsonb):
-- storing an event no longer parses the document on the hot path, and the
-- record is kept exactly as the decoder handed it over. Reports read it with
-- raw::jsonb. Values are compressed with lz4 when the server has it
-- (PostgreSQL 14+ built --with-lz4, as the community packages are), pglz
-- otherwise. contact_record.raw stays jsonb: contact records are a third of
-- the size and a seventh as many, and the kpi_contact view reads
-- contact_record.* (a column type under a view cannot change).
ALTER TABLE agent_event ALTER COLUMN raw TYPE text USING raw::text;
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE agent_event ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not available: agent_event.raw stays pglz-compressed';
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE agent_event ALTER COLUMN raw SET COMPRESSION default;
ALTER TABLE agent_event ALTER COLUMN raw TYPE jsonb USING raw::jsonb;
