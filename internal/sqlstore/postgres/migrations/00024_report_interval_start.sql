-- +goose Up
-- report_interval_start_idx: the report intervals starting in a range,
-- whatever their zone. A contact batch's agent_day_rollup difference joins
-- the intervals it touched to report_interval on interval_start; the
-- primary key leads with time_zone, so that join read the whole table at
-- every batch (8,736 rows at 90 days of one zone: 0.8-1.5 ms, growing with
-- every day and zone kept). With this index it reads the batch's
-- intervals' rows. report_interval gains rows only with a new day or
-- zone, so the index costs ingest next to nothing.
CREATE INDEX report_interval_start_idx ON report_interval (interval_start);

-- +goose Down
DROP INDEX IF EXISTS report_interval_start_idx;
