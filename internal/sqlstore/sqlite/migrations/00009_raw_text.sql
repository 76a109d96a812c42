-- +goose Up
-- Nothing to do: migration 00009 makes PostgreSQL keep agent_event.raw as (lz4-compressed)
-- text instead of jsonb; this dialect already keeps raw as JSON text.
SELECT 1;

-- +goose Down
SELECT 1;
