-- +goose Up
-- Nothing to do on this dialect: the agent status day rollup
-- (agent_status_day, kept at ingest) exists on PostgreSQL only, for
-- centres of a thousand agents and more; here kpi_agent_status_day reads
-- agent_status_interval as migration 00006 defined it.
SELECT 1;

-- +goose Down
SELECT 1;
