-- +goose Up
-- contact_record.raw stays jsonb (report writers read it with jsonb
-- operators), but is compressed with lz4 instead of pglz when the server
-- has it (PostgreSQL 14+ built --with-lz4, as the community packages are),
-- as agent_event.raw is since migration 00009. A realistic contact record
-- is about 2.7 KB of JSON, 3 KB as jsonb: over the TOAST threshold, so
-- every stored version was pglz-compressed, a third of the time its batch
-- took to reach the table. Values stored before keep their compression
-- and read as before; nothing is rewritten.
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE contact_record ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not available: contact_record.raw stays pglz-compressed';
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE contact_record ALTER COLUMN raw SET COMPRESSION default;
