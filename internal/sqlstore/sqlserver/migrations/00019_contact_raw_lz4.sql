-- +goose Up
-- Nothing to do: migration 00019 compresses PostgreSQL's contact_record.raw
-- with lz4; this dialect keeps raw as nvarchar(max), uncompressed.
SELECT 1;

-- +goose Down
SELECT 1;
