-- +goose Up
-- agent_status_interval_unbounded_idx (unbounded, start_timestamp) served
-- the day view's closed intervals until migration 00011 moved them into
-- agent_status_day. Since then only the whole-day computation of
-- agent_status_day (a day report_interval gains, RebuildStatusDays) read
-- through it, for a range of start_timestamp that
-- agent_status_interval_start_idx serves as well (the rows it adds to the
-- range, the open and the long intervals, are at most one an agent and a
-- few). Every interval ingest writes or closes paid for it. What stays:
--   the primary key (agent_id, start_timestamp): ingest's derivation and
--     one agent's days;
--   agent_status_interval_start_idx (start_timestamp): whole days, the
--     data's span (report.go), the agent timeline;
--   agent_status_interval_open_idx (agent_id) WHERE end_timestamp IS NULL:
--     kpi_agent_status_day's open intervals, at most one an agent;
--   agent_status_interval_long_idx (end_timestamp) WHERE unbounded = 1:
--     the closed intervals of more than 23 hours, which a day's range of
--     start_timestamp cannot find.
DROP INDEX IF EXISTS agent_status_interval_unbounded_idx;

-- +goose Down
CREATE INDEX agent_status_interval_unbounded_idx ON agent_status_interval (unbounded, start_timestamp);
