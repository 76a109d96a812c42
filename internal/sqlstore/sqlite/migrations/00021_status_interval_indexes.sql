-- +goose Up
-- Nothing to do: migration 00021 drops PostgreSQL's
-- agent_status_interval_unbounded_idx, which nothing there reads since
-- agent_status_day (migration 00011) holds the closed intervals by day.
-- This dialect keeps no such rollup: its kpi_agent_status_day reads the
-- closed intervals of a day through that index (unbounded = 0 and a range
-- of start_timestamp), so it stays.
SELECT 1;

-- +goose Down
SELECT 1;
