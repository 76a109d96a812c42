-- +goose Up
-- Nothing to do: migration 00007 sizes SQL Server's keys and makes its id
-- columns binary-collated; this dialect's keys have no size limit that
-- Connect's data reaches and already compare ids by exact bytes.
SELECT 1;

-- +goose Down
SELECT 1;
