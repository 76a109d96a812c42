-- +goose Up
-- Nothing to do: migration 00024 indexes PostgreSQL's report_interval on
-- interval_start for the contact rollup statement's agent_day_rollup
-- difference (rollup_postgres.go), which this dialect does not run.
SELECT 1;

-- +goose Down
SELECT 1;
