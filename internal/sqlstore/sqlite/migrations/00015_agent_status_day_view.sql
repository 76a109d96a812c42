-- +goose Up
-- Nothing to do: migration 00015 rewrites PostgreSQL's kpi_agent_status_day,
-- which reads its agent_status_day rollup; this dialect keeps no rollup.
SELECT 1;

-- +goose Down
SELECT 1;
