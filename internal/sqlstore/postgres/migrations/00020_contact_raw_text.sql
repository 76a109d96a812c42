-- +goose Up
-- contact_record.raw keeps each contact record as JSON text (text, not
-- jsonb), as agent_event.raw does since migration 00009 (issue 12):
-- storing a contact no longer parses its document into jsonb, which was
-- most of the time PostgreSQL took to COPY a batch into contact_record.
-- The text is the document exactly as the decoder handed it over (cleaned:
-- \u0000 and unpaired surrogate escapes read as \ufffd, numbers no jsonb
-- holds refused), so raw::jsonb never fails on what the store writes.
-- Report writers read contact_record_document, which gives the document as
-- jsonb (document->>'x' where they wrote raw->>'x'), or raw::jsonb.
-- kpi_contact reads contact_record.* (the type of a column under a view
-- cannot change): it is dropped and created again with its definition as
-- it stands, whatever migration wrote it last. Rows stored before keep
-- their document as jsonb renders it (keys ordered and spaced).
-- +goose StatementBegin
DO $$
DECLARE
    kpi text := pg_get_viewdef('kpi_contact'::regclass);
BEGIN
    DROP VIEW kpi_contact;
    ALTER TABLE contact_record ALTER COLUMN raw TYPE text USING raw::text;
    EXECUTE 'CREATE VIEW kpi_contact AS ' || kpi;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE contact_record ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not available: contact_record.raw stays pglz-compressed';
END
$$;
-- +goose StatementEnd

-- contact_record_document: each contact record's newest version as a JSON
-- document (jsonb here; text on SQLite and SQL Server, where raw is text),
-- named as agent_event_document is. NULL where maintain cleared raw.
CREATE VIEW contact_record_document AS
SELECT contact_id, initiation_timestamp, last_update_timestamp, raw::jsonb AS document
FROM contact_record;

-- +goose Down
DROP VIEW contact_record_document;
-- +goose StatementBegin
DO $$
DECLARE
    kpi text := pg_get_viewdef('kpi_contact'::regclass);
BEGIN
    DROP VIEW kpi_contact;
    ALTER TABLE contact_record ALTER COLUMN raw TYPE jsonb USING raw::jsonb;
    EXECUTE 'CREATE VIEW kpi_contact AS ' || kpi;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE contact_record ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not available: contact_record.raw stays pglz-compressed';
END
$$;
-- +goose StatementEnd
