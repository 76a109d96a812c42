-- +goose Up
-- raw keeps each stream record as JSON text (text, not jsonb): storing it no
-- longer parses the document on the hot path, and the record is kept exactly
-- as the decoder handed it over. Reports read it with raw::jsonb. Values are
-- compressed with lz4 when the server has it (PostgreSQL 14+ built
-- --with-lz4, as the community packages are), pglz otherwise.
ALTER TABLE agent_event ALTER COLUMN raw TYPE text USING raw::text;
ALTER TABLE contact_record ALTER COLUMN raw TYPE text USING raw::text;
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE agent_event ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE contact_record ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not available: raw stays pglz-compressed';
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE agent_event ALTER COLUMN raw SET COMPRESSION default;
ALTER TABLE contact_record ALTER COLUMN raw SET COMPRESSION default;
ALTER TABLE agent_event ALTER COLUMN raw TYPE jsonb USING raw::jsonb;
ALTER TABLE contact_record ALTER COLUMN raw TYPE jsonb USING raw::jsonb;
